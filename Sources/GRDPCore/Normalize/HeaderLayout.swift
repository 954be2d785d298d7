/// Where each canonical column sits in a member's header.
///
/// Header names match trimmed, NFC and case-insensitively, directly or through the configured
/// aliases (`inputs.columns.<kind>`: canonical → aliases). Unknown columns are ignored.
public struct HeaderLayout: Sendable {
    public let kind: RecordKind
    /// The number of cells of the header: every data row must have as many.
    public let fieldCount: Int
    /// Cell index per column ordinal; -1 when the header lacks the column.
    private var indices: [Int]
    /// The header's cells that name no column of the kind, directly or by an alias (trimmed,
    /// NFC, as written), in header order: what the run leaves unread, which a misspelled alias
    /// leaves so (config audit 31, F2b: refunds of a member went undeducted without a word).
    public private(set) var unreadColumns: [String] = []

    /// The cell index of `column`, or nil when the header lacks it.
    public subscript(column: InputColumn) -> Int? {
        let index = indices[column.ordinal]
        return index < 0 ? nil : index
    }

    /// Maps the header's cells. Throws when a required column is missing or a column is named twice.
    public init(
        kind: RecordKind, header: [String], aliases: [String: [String]], memberPath: String
    ) throws(HeaderError) {
        self.kind = kind
        self.fieldCount = header.count
        self.indices = Array(repeating: -1, count: InputColumn.allCases.count)

        let columns = InputColumn.columns(of: kind)
        var byName: [String: InputColumn] = [:]
        for column in columns { byName[column.rawValue] = column }
        // Aliases after the canonical names: an explicitly configured alias wins.
        for (canonical, names) in aliases.sorted(by: { $0.key < $1.key }) {
            guard let column = InputColumn(rawValue: CellText.matchKey(canonical)), columns.contains(column) else {
                continue
            }
            for name in names { byName[CellText.matchKey(name)] = column }
        }

        var namesSeen: [InputColumn: [String]] = [:]
        for (index, cell) in header.enumerated() {
            let key = CellText.matchKey(cell)
            guard !key.isEmpty else { continue }
            guard let column = byName[key] else {
                unreadColumns.append(CellText.text(cell))
                continue
            }
            namesSeen[column, default: []].append(CellText.text(cell))
            if indices[column.ordinal] < 0 { indices[column.ordinal] = index }
        }

        let missing = HeaderLayout.missingColumns(kind: kind, has: { namesSeen[$0] != nil })
        if !missing.isEmpty {
            var detail = "the header lacks the required column" + (missing.count == 1 ? " " : "s ")
            detail += missing.map { "'\($0.rawValue)'" }.joined(separator: ", ")
            if kind == .enterprise && missing.contains(where: { $0 != .taxCode && $0 != .year && $0 != .vsic }) {
                detail += " (an enterprise return needs value_added, or both gross_output and intermediate_consumption)"
            }
            throw HeaderError(memberPath: memberPath, kind: kind, columns: missing.map(\.rawValue), detail: detail)
        }
        let duplicated = columns.filter { (namesSeen[$0]?.count ?? 0) > 1 }
        if !duplicated.isEmpty {
            let parts = duplicated.map { column in
                "'\(column.rawValue)' (as " + namesSeen[column]!.map { "'\($0)'" }.joined(separator: ", ") + ")"
            }
            let detail =
                "the header names " + (duplicated.count == 1 ? "a column" : "columns") + " more than once: "
                + parts.joined(separator: "; ")
            throw HeaderError(memberPath: memberPath, kind: kind, columns: duplicated.map(\.rawValue), detail: detail)
        }
    }

    /// The required columns (§4.3, bold) that `has` says are absent.
    static func missingColumns(kind: RecordKind, has: (InputColumn) -> Bool) -> [InputColumn] {
        switch kind {
        case .enterprise:
            var missing = [InputColumn.taxCode, .year, .vsic].filter { !has($0) }
            if !has(.valueAdded) && !(has(.grossOutput) && has(.intermediateConsumption)) {
                missing.append(.valueAdded)
                missing += [InputColumn.grossOutput, .intermediateConsumption].filter { !has($0) }
            }
            return missing
        case .transaction:
            return [InputColumn.transactionID, .date, .amount, .status].filter { !has($0) }
        case .grdp:
            return [InputColumn.year, .grdp].filter { !has($0) }
        }
    }
}
