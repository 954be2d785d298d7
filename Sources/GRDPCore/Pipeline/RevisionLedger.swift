/// Applies identity and revision order (CONTRACT §4.4): records in (archive order, member path
/// bytewise, line) order; a later record with the same key replaces the earlier one, which is
/// counted as superseded on the member that held it.
struct RevisionLedger {
    struct MemberRef: Hashable {
        var archive: Int
        var member: Int
    }

    struct TransactionKey: Hashable {
        var channel: String
        var transactionID: String
    }

    private(set) var enterprises: [EnterpriseKey: (EnterpriseRecord, SourceLocation, MemberRef)] = [:]
    private(set) var transactions: [TransactionKey: (TransactionRecord, MemberRef)] = [:]
    private(set) var grdp: [Int: (GRDPRecord, SourceLocation, MemberRef)] = [:]
    private(set) var superseded: [MemberRef: Int] = [:]

    /// Takes one member's accepted rows, in line order.
    mutating func apply(_ member: MemberResult, archivePath: String, ref: MemberRef) {
        for (line, record) in member.accepted {
            let location = SourceLocation(archivePath: archivePath, memberPath: member.path, line: line)
            switch record {
            case .enterprise(let e):
                let key = EnterpriseKey(taxCode: e.taxCode, year: e.year)
                if let old = enterprises.updateValue((e, location, ref), forKey: key) { superseded[old.2, default: 0] += 1 }
            case .transaction(let t):
                let key = TransactionKey(channel: t.channel, transactionID: t.transactionID)
                if let old = transactions.updateValue((t, ref), forKey: key) { superseded[old.1, default: 0] += 1 }
            case .grdp(let g):
                if let old = grdp.updateValue((g, location, ref), forKey: g.year) { superseded[old.2, default: 0] += 1 }
            }
        }
    }
}
