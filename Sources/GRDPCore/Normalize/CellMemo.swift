/// Remembers the value computed for the last cell of a column: consecutive rows often repeat a
/// status, a channel or a seller, and comparing a few bytes is cheaper than hashing or validating.
struct CellMemo<Value> {
    private var key: [UInt8] = []
    private var value: Value?

    /// The value for `cell`: the remembered one when `cell` has the same bytes, else `compute(cell)`.
    mutating func value(
        for cell: UnsafeBufferPointer<UInt8>, compute: (UnsafeBufferPointer<UInt8>) -> Value
    ) -> Value {
        if let value, sameBytes(key, cell) {
            return value
        }
        let computed = compute(cell)
        if cell.count <= 64 {
            key.removeAll(keepingCapacity: true)
            key.append(contentsOf: cell)
            value = computed
        }
        return computed
    }
}
