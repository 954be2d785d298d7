/// Turns one data member's bytes into rows: typed records, exclusions or quarantine (CONTRACT §4).
///
/// Push the member's bytes with `feed` in any chunking, then call `finish`. Rows come out through
/// `emit` in member order. With `number_format: auto` the member's convention is decided by the
/// first decisive value within its first 1,000 records (§4.2) and applies to every row, also those
/// before the deciding one: until the decision those records are held back (never more than
/// 1,000), then everything streams.
public final class MemberNormalizer {
    /// The auto-detection window of §4.2, in records after the header.
    public static let conventionWindow = 1_000

    public let kind: RecordKind
    public let memberPath: String
    /// Also fill `NormalizedRow.raw` for accepted rows (off: one string less per row).
    public var keepsRawForAcceptedRows = false

    let regionCode: String
    let regionBytes: [UInt8]
    let utcOffsetMinutes: Int
    let fx: [String: [Int: ExactDecimal]]
    let aliases: [String: [String]]
    let statuses: StatusMapper
    let reader = CSVReader()

    // The last value of a few columns that repeat from row to row.
    //
    // These and `collectedTransactions` are changed on every row: without `unchecked`, each change
    // is a dynamic exclusivity check (`swift_beginAccess`, ~1.4 % of a 1 M rebuild's CPU). A
    // normalizer is used by one thread, the one reading its member, and never reentered.
    @exclusivity(unchecked) var statusMemo = CellMemo<TransactionStatus?>()
    @exclusivity(unchecked) var channelMemo = CellMemo<String>()
    @exclusivity(unchecked) var sellerMemo = CellMemo<String?>()

    /// When not nil, accepted transactions go here, from their cells' bytes, instead of out through
    /// `emit` as `TransactionRecord`s: no `String` of the id and district per row (the ingest's
    /// path; quarantined and excluded rows are emitted as ever). Set before the first `feed`.
    @exclusivity(unchecked) var collectedTransactions: TransactionBatch?

    private(set) var layout: HeaderLayout?
    private var convention: PipelineConfig.NumberFormat
    /// Records read while the convention is undecided.
    private var pending: [CSVRecord] = []
    /// While undecided, the first numeric value the default convention reads 1,000 times smaller
    /// than the other (`NumberParser.readSmaller`: `55.700` in a `,` member).
    private var readSmallerByDefault: String?
    /// With `auto`, when no value decided the convention and the delimiter's default was taken: a
    /// value it reads 1,000 times smaller than the other convention does (`55.700`, 55.7 as `en`),
    /// which the report shows and a run says (audit 33, S2: a GRDP return written so read 1,000
    /// times too small). Not a value it reads larger (`150.000` in a `;` member: 150,000 VND, as
    /// a Vietnamese return means it). Nil otherwise.
    public private(set) var defaultedOver: String?
    private var recordCount = 0
    /// Cell indices of the kind's numeric columns, left to right.
    private var numericIndices: [Int] = []
    private var finished = false
    /// The header error already thrown: the member is unusable, every later call throws it again.
    private var headerFailure: HeaderError?

    public init(kind: RecordKind, config: PipelineConfig, memberPath: String) {
        self.kind = kind
        self.memberPath = memberPath
        self.regionCode = CellText.text(config.region.code)
        self.regionBytes = Array(regionCode.utf8)
        self.utcOffsetMinutes = config.region.utcOffsetMinutes
        self.fx = config.inputs.fx
        self.aliases = config.inputs.columns[kind] ?? [:]
        self.statuses = StatusMapper(extra: config.inputs.statuses)
        self.convention = config.inputs.numberFormat
    }

    /// The number convention used (`en`/`vi`): the configured one, or the one detected (`auto` while
    /// undecided, that is before `finish` or the deciding value).
    public var numberConvention: PipelineConfig.NumberFormat { convention }

    /// The member's delimiter, once its header has been read.
    public var delimiter: UInt8? { reader.delimiter }

    /// The number of records after the header read so far (blank lines are not records).
    public var recordsRead: Int { recordCount }

    /// Pushes bytes in any chunking (one byte at a time gives identical results); calls `emit` for
    /// each finished row, in order. Throws `HeaderError` when the header is unusable.
    public func feed(_ bytes: UnsafeRawBufferPointer, emit: (NormalizedRow) throws -> Void) throws {
        precondition(!finished, "feed after finish")
        if let headerFailure { throw headerFailure }
        do {
            try reader.feed(bytes) { record in try handle(record, emit: emit) }
        } catch let failure as CSVReader.Failure {
            throw remember(headerError(failure))
        } catch let error as HeaderError {
            throw remember(error)
        }
    }

    private func remember(_ error: HeaderError) -> HeaderError {
        headerFailure = error
        return error
    }

    /// Ends the member: emits the rows still held back. Throws `HeaderError` when the member had no
    /// header at all.
    public func finish(emit: (NormalizedRow) throws -> Void) throws {
        precondition(!finished, "finish called twice")
        finished = true
        if let headerFailure { throw headerFailure }
        do {
            try reader.finish { record in try handle(record, emit: emit) }
        } catch let failure as CSVReader.Failure {
            throw remember(headerError(failure))
        } catch let error as HeaderError {
            throw remember(error)
        }
        guard layout != nil else {
            throw remember(
                HeaderError(memberPath: memberPath, kind: kind, columns: [], detail: "the member has no header line"))
        }
        if convention == .auto { try decideByDefault(emit: emit) }
    }

    private func decideByDefault(emit: (NormalizedRow) throws -> Void) throws {
        defaultedOver = readSmallerByDefault
        try decide(defaultConvention, emit: emit)
    }

    /// With no decisive value: `;`-delimited members are `vi`, others `en`.
    private var defaultConvention: PipelineConfig.NumberFormat {
        reader.delimiter == UInt8(ascii: ";") ? .vi : .en
    }

    private func headerError(_ failure: CSVReader.Failure) -> HeaderError {
        switch failure {
        case .headerTooLong(let limit):
            HeaderError(
                memberPath: memberPath, kind: kind, columns: [],
                detail: "the header line does not end within \(limit) bytes (an unclosed quote?)")
        }
    }

    private func handle(_ record: CSVRecord, emit: (NormalizedRow) throws -> Void) throws {
        guard layout != nil else {
            try readHeader(record)
            return
        }
        recordCount += 1
        if convention != .auto {
            if let row = normalize(record) { try emit(row) }
            return
        }
        pending.append(record.compacted())
        if let decided = decisiveConvention(of: record) {
            try decide(decided, emit: emit)
        } else if recordCount >= MemberNormalizer.conventionWindow {
            try decideByDefault(emit: emit)
        }
    }

    private func readHeader(_ record: CSVRecord) throws {
        if let bytes = record.overlongBytes {
            throw HeaderError(
                memberPath: memberPath, kind: kind, columns: [],
                detail: "the header " + Self.overlong(bytes)
                    + (record.hasUnterminatedQuote
                        ? ": a quoted cell of it is not closed before the end of the member" : ""))
        }
        if record.hasUnterminatedQuote {
            throw HeaderError(
                memberPath: memberPath, kind: kind, columns: [],
                detail: "a quoted cell of the header is not closed before the end of the member")
        }
        let header = try HeaderLayout(kind: kind, header: record.fields, aliases: aliases, memberPath: memberPath)
        layout = header
        numericIndices = InputColumn.numericColumns(of: kind).compactMap { header[$0] }.sorted()
    }

    /// The convention the record's numeric cells decide, reading them left to right. Records that
    /// are quarantined whatever the convention (field count, encoding) decide nothing: their cells
    /// cannot be trusted to sit in their columns.
    private func decisiveConvention(of record: CSVRecord) -> PipelineConfig.NumberFormat? {
        guard let layout, record.fieldCount == layout.fieldCount, !record.hasInvalidUTF8,
            !record.hasUnterminatedQuote
        else { return nil }
        for index in numericIndices {
            if let decided = record.withField(index, { NumberParser.decisiveConvention(CellText.trimmed($0)) }) {
                return decided
            }
            if readSmallerByDefault == nil {
                let convention = defaultConvention
                readSmallerByDefault = record.withField(index) { cell in
                    let trimmed = CellText.trimmed(cell)
                    return NumberParser.readSmaller(trimmed, by: convention) == nil
                        ? nil : String(decoding: trimmed, as: UTF8.self)
                }
            }
        }
        return nil
    }

    private func decide(_ decided: PipelineConfig.NumberFormat, emit: (NormalizedRow) throws -> Void) throws {
        convention = decided
        let held = pending
        pending = []
        for record in held {
            if let row = normalize(record) { try emit(row) }
        }
    }

    /// The most bytes of a line a row keeps as its raw text (the snapshot's `quarantine.raw`).
    static let rawLimit = 64 << 10

    /// The row of one record, in the member's (decided) convention; nil for a transaction accepted
    /// into `collectedTransactions`.
    func normalize(_ record: CSVRecord) -> NormalizedRow? {
        guard let outcome = outcome(of: record) else { return nil }
        let raw: String
        if case .accepted = outcome, !keepsRawForAcceptedRows {
            raw = ""
        } else {
            raw = record.rawText(atMost: Self.rawLimit)
        }
        return NormalizedRow(line: record.line, outcome: outcome, raw: raw)
    }

    /// What a record of `bytes` bytes, past `CSVReader.maxRecordBytes`, is said to be.
    private static func overlong(_ bytes: Int) -> String {
        "is \(bytes) bytes, more than a record may have (\(CSVReader.maxRecordBytes))"
    }

    private func outcome(of record: CSVRecord) -> RowOutcome? {
        guard let layout else { preconditionFailure("a data row before the header") }
        if let bytes = record.overlongBytes {
            return .quarantined(
                reason: .fieldCount,
                detail: "the record " + Self.overlong(bytes)
                    + (record.hasUnterminatedQuote
                        ? ": a quoted cell opened on line \(record.line) or later is not closed before the end of the member"
                        : ""))
        }
        if record.hasUnterminatedQuote {
            return .quarantined(
                reason: .fieldCount,
                detail: "a quoted cell opened on line \(record.line) or later is not closed before the end of the "
                    + "member, so the record runs to the end of the member")
        }
        if record.fieldCount != layout.fieldCount {
            return .quarantined(
                reason: .fieldCount,
                detail: "the row has \(record.fieldCount) cell\(record.fieldCount == 1 ? "" : "s"), "
                    + "the header has \(layout.fieldCount)")
        }
        if record.hasInvalidUTF8 {
            return .quarantined(reason: .encodingError, detail: "the row is not valid UTF-8")
        }
        return record.withCells { cells in
            let row = NormalizeRowCells(cells: cells, layout: layout, convention: convention)
            do throws(NormalizeRowFault) {
                switch kind {
                case .enterprise: return try enterprise(row)
                case .transaction: return try transaction(row)
                case .grdp: return try grdp(row)
                }
            } catch {
                return .quarantined(reason: error.reason, detail: error.detail)
            }
        }
    }
}
