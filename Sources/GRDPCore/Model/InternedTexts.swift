/// Texts kept once each, numbered in the order first met: a member's texts (`TransactionBatch`),
/// the ledger's (`TransactionLedger`'s group pass) and Compute's groups (`TransactionGroupTable`)
/// name channels, sellers and districts by these numbers instead of hashing a `String` per row.
///
/// The index from text to number is built when first needed: texts handed over whole (the ledger's
/// million at 10 M transactions) cost nothing until one more is interned, and none usually is.
struct InternedTexts: Sendable {
    private(set) var texts: [String]
    private var index: [String: UInt32] = [:]
    /// How many of `texts`, from the first, `index` holds.
    private var indexed = 0

    /// - Parameter capacity: room for that many texts (and their index) from the start.
    init(capacity: Int = 0) {
        texts = []
        texts.reserveCapacity(capacity)
        index.reserveCapacity(capacity)
    }

    /// Texts already numbered by their position.
    init(_ texts: [String]) {
        self.texts = texts
    }

    /// Texts already numbered by their position, with the index `index(of:)` built of them.
    init(_ texts: [String], index: [String: UInt32]) {
        self.texts = texts
        self.index = index
        indexed = texts.count
    }

    /// The index `intern` builds of `texts` when first needed, built elsewhere (the ledger read
    /// back from a file builds its million texts' on another thread while it reads the rest).
    static func index(of texts: [String]) -> [String: UInt32] {
        var index: [String: UInt32] = [:]
        index.reserveCapacity(texts.count + texts.count / 8)
        for (number, text) in texts.enumerated() { index[text] = UInt32(number) }
        return index
    }

    var count: Int { texts.count }

    /// The number of `text`, a new one the first time.
    mutating func intern(_ text: String) -> UInt32 {
        // Texts handed over whole are indexed all at once, the first time one is interned.
        if indexed < texts.count {
            index = Self.index(of: texts)
            indexed = texts.count
        }
        if let found = index[text] { return found }
        let number = UInt32(texts.count)
        index[text] = number
        texts.append(text)
        indexed += 1
        return number
    }

    /// Lets go of the index (the texts stay): a sealed member is read, never added to.
    mutating func dropIndex() {
        index = [:]
        indexed = 0
    }

    /// The texts, by number; this is left empty.
    mutating func take() -> [String] {
        dropIndex()
        defer { texts = [] }
        return texts
    }
}
