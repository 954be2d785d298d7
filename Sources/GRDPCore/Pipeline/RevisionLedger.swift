/// Applies identity and revision order (CONTRACT §4.4): records in (archive order, member path
/// bytewise, line) order; a later record with the same key replaces the earlier one, which is
/// counted as superseded on the member that held it.
///
/// Enterprise and GRDP records are kept whole (the snapshot lists them); transactions only as
/// sums by `TransactionGroup.Key` plus, per key, what a replacement takes back out
/// (`TransactionLedger`).
struct RevisionLedger {
    struct MemberRef: Hashable {
        var archive: Int
        var member: Int
    }

    private(set) var enterprises: [EnterpriseKey: (EnterpriseRecord, SourceLocation, MemberRef)] = [:]
    private(set) var transactions = TransactionLedger()
    private(set) var grdp: [Int: (GRDPRecord, SourceLocation, MemberRef)] = [:]
    private(set) var superseded: [MemberRef: Int] = [:]
    /// Members that held transactions, by the index `TransactionLedger` keeps.
    private var transactionMembers: [MemberRef] = []

    /// Takes one member's accepted rows, in line order.
    mutating func apply(_ member: MemberResult, archivePath: String, ref: MemberRef) throws(ArithmeticOverflow) {
        var transactionMember: Int32?
        for (line, record) in member.accepted {
            switch record {
            case .enterprise(let e):
                let location = SourceLocation(archivePath: archivePath, memberPath: member.path, line: line)
                let key = EnterpriseKey(taxCode: e.taxCode, year: e.year)
                if let old = enterprises.updateValue((e, location, ref), forKey: key) { superseded[old.2, default: 0] += 1 }
            case .transaction(let t):
                let index: Int32
                if let transactionMember {
                    index = transactionMember
                } else {
                    index = Int32(transactionMembers.count)
                    transactionMembers.append(ref)
                    transactionMember = index
                }
                if let old = try transactions.apply(t, member: index) {
                    superseded[transactionMembers[Int(old)], default: 0] += 1
                }
            case .grdp(let g):
                let location = SourceLocation(archivePath: archivePath, memberPath: member.path, line: line)
                if let old = grdp.updateValue((g, location, ref), forKey: g.year) { superseded[old.2, default: 0] += 1 }
            }
        }
    }
}
