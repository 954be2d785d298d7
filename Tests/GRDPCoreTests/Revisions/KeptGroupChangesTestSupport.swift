@testable import GRDPCore

extension KeptGroupChanges {
    /// The sales keys the update touched, and the sales rows the groups made under them before it
    /// (`pick`, then `Before.rows`), finding groups by a dictionary of `table`'s.
    func rowsBefore(
        updated table: TransactionGroupTable, enterprises: [EnterpriseRow], methodology: Methodology
    ) throws -> (keys: [SalesRowsUpdate.Key], rows: [EcommerceSalesRow]) {
        try pick(updated: table, find: Self.finder(of: table.groups)).before.rows(
            enterprises: enterprises, methodology: methodology)
    }

    /// A `find` for `pick` over a table's groups by a dictionary of their keys.
    static func finder(of groups: [TransactionGroupTable.Group]) -> (TransactionGroupTable.Group) -> Int? {
        func key(_ group: TransactionGroupTable.Group) -> [Int] {
            [
                Int(group.channel), Int(group.seller), Int(group.district), Int(group.year), Int(group.month),
                Int(group.status),
            ]
        }
        var positions: [[Int]: Int] = [:]
        for (position, group) in groups.enumerated() { positions[key(group)] = position }
        return { positions[key($0)] }
    }
}
