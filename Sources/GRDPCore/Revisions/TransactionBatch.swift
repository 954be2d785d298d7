internal import Foundation

/// One member's accepted transactions, compact, built on the thread that reads the archive: what
/// the revision ledger needs of each (`TransactionLedger`), about 40 bytes a row, with the texts
/// (channel, seller, district) and id stems interned per member. The ledger, on the thread that
/// applies revisions in order, then maps each distinct text once instead of hashing it per row.
struct TransactionBatch: Sendable {
    struct Row: Sendable {
        /// The id's trailing digits (at most 18) as a number.
        var number: UInt64
        /// Index in `stems`.
        var stem: UInt32
        /// Indices in `strings`.
        var channel: UInt32
        var seller: UInt32
        var district: UInt32
        var year: Int16
        var month: UInt8
        /// Index in `TransactionStatus.allCases`.
        var status: UInt8
        /// Net amount (VND) as `mantissa × 10^-scale`; when `scale` is negative, `~scale` indexes `wide`.
        /// The scale before the mantissa, in the 4 bytes after `status`: 40 bytes a row, not 48 (a
        /// 3 M-row archive's batch is 24 MB less while it waits to be applied, its cache entry too).
        var scale: Int32
        var mantissa: Int64
    }

    /// Whether two nets as rows hold them (`scale` and `mantissa`) are the same net written the
    /// same way (`1000` and `1000.00` are not): what a record re-sent unchanged keeps. A wide net
    /// (`scale` < 0, its amounts kept apart) never is.
    static func sameNet(scale: Int32, mantissa: Int64, as other: (scale: Int32, mantissa: Int64)) -> Bool {
        scale >= 0 && scale == other.scale && mantissa == other.mantissa
    }

    /// The id without its trailing digits, the channel (index in `strings`) and the number of those
    /// digits (leading zeros count): stem and number give back channel and id exactly.
    struct Stem: Hashable, Sendable, Codable {
        var channel: UInt32
        var prefix: [UInt8]
        var width: UInt8

        init(channel: UInt32, prefix: [UInt8], width: UInt8) {
            self.channel = channel
            self.prefix = prefix
            self.width = width
        }

        // In the archive cache's JSON the prefix is Base64: as an array of numbers, one id of
        // 25 MB (a valid row, within the member limit) took 1.3 GB and 13 s to encode.
        private enum CodingKeys: String, CodingKey { case channel, prefix, width }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            channel = try container.decode(UInt32.self, forKey: .channel)
            width = try container.decode(UInt8.self, forKey: .width)
            guard let bytes = Data(base64Encoded: try container.decode(String.self, forKey: .prefix)) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .prefix, in: container, debugDescription: "not Base64")
            }
            prefix = Array(bytes)
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(channel, forKey: .channel)
            try container.encode(Data(prefix).base64EncodedString(), forKey: .prefix)
            try container.encode(width, forKey: .width)
        }
    }

    /// The rows appended and not yet written to the archive's cache entry (`writeBuiltRows`);
    /// empty when they are read in place from a cache entry (`mapped`).
    private var builtRows: [Row] = []
    /// How many of the first rows appended are in the cache entry being written
    /// (`ArchiveCache.EntryWriter`) instead of `builtRows`, and at which byte of it they start.
    private(set) var rowsInEntry = 0
    private(set) var entryOffset = 0
    /// Rows read in place from a cache entry's mapping (`ArchiveCache`), and the file that keeps
    /// them mapped.
    private var mapped: MappedRows?

    // @unchecked Sendable: the rows are read-only memory that `file` keeps mapped for as long as
    // this exists (see `MappedFile`).
    private struct MappedRows: @unchecked Sendable {
        let file: MappedFile
        let rows: UnsafeBufferPointer<Row>
    }
    /// The texts while the batch is built, by their bytes (`LedgerTexts`: a multiply-mix hash,
    /// where a `[String: UInt32]` cost SipHash over a `String` per row, ~4 % of a rebuild's CPU);
    /// as `String`s once sealed or read from the cache.
    private var texts = LedgerTexts()
    private var sealedStrings: [String]?
    var strings: [String] { sealedStrings ?? texts.strings }
    private(set) var stems: [Stem] = []
    /// Amount and refund of rows whose net does not fit `Int64` (or overflowed): the ledger
    /// subtracts them, as Compute did.
    private(set) var wide: [(amount: ExactDecimal, refund: ExactDecimal)] = []

    private var stemIndex: [Stem: UInt32] = [:]
    /// The stems met last (ids alternate between a few prefixes, a channel's and a period's),
    /// compared byte by byte before hashing a stem into `stemIndex`.
    private var recentStems = RecentlyMet<Stem>(keeping: 8)
    /// Per field, the texts it held last, compared before hashing a text into `texts`: a few
    /// for channels and districts, which alternate between a handful of values; one for sellers,
    /// which rarely repeat but for a seller's rows in a run.
    private var recentChannels = RecentlyMet<String>(keeping: 8)
    /// The channels appended and the statuses of their rows, for the report (`channels()`).
    private var channelsSeen = ChannelsSeen(limit: TransactionBatch.channelsKept)
    /// The years of the rows appended, for the report (`years()`).
    private var yearsSeen = YearsSeen()
    private var recentSellers = RecentlyMet<String>(keeping: 1)
    private var recentDistricts = RecentlyMet<[UInt8]>(keeping: 8)

    var count: Int { mapped?.rows.count ?? rowsInEntry + builtRows.count }

    /// The rows appended since the last `writeBuiltRows`.
    var builtRowCount: Int { builtRows.count }

    /// Whether the rows are read in place from a cache entry's mapping.
    var readsInPlace: Bool { mapped != nil }

    /// Calls `body` with the rows in line order, wherever they are.
    func withRows<R, E: Error>(_ body: (UnsafeBufferPointer<Row>) throws(E) -> R) throws(E) -> R {
        if let mapped { return try body(mapped.rows) }
        precondition(rowsInEntry == 0, "rows in an entry being written are read once it is mapped")
        return try builtRows.withUnsafeBufferPointer(body)
    }

    /// Calls `body` with the rows in line order, `chunkRows` at a time, and the index of each
    /// chunk's first row. Rows read in place from a cache entry leave memory as each chunk is done
    /// (`MADV_DONTNEED`; read again, they come back from the page cache): a pass over every row of
    /// 10 M transactions would otherwise keep the 400 MB of entries resident.
    /// - Parameter range: only these rows (indices in line order); nil: all.
    func forEachChunk<E: Error>(
        rows range: Range<Int>? = nil, chunkRows: Int = 1 << 16,
        _ body: (UnsafeBufferPointer<Row>, Int) throws(E) -> Void
    ) throws(E) {
        try withRows { (rows) throws(E) in
            try MappedFile.forEachChunk(of: rows, in: range, chunk: chunkRows, releasing: mapped != nil, body)
        }
    }

    /// Calls `body` with the rows at `positions` (indices in line order, ascending). Rows read in
    /// place leave memory as the pass moves on, every 65,536 rows and at the end: a row read alone
    /// brings in the 16 pages around it (the kernel's fault-around), and a night's thousands of
    /// replaced rows, scattered over 10 M, made the whole of the largest members resident (~100 MB).
    func forEachRow<E: Error>(at positions: some Sequence<Int>, _ body: (Row) throws(E) -> Void) throws(E) {
        defer { releaseMappedPages() }
        var releasedTo = 0
        try withRows { (rows) throws(E) in
            for position in positions {
                if position - releasedTo >= 1 << 16 {
                    releaseMappedPages(rows: releasedTo..<position)
                    releasedTo = position
                }
                try body(rows[position])
            }
        }
    }

    /// Drops the rows read in place from a cache entry from memory (they come back from the page
    /// cache when read again): a batch kept for a later pass (`PartitionedRevisions`) need not
    /// keep the pages its entry's checksum made resident.
    func releaseMappedPages() {
        guard let mapped else { return }
        releaseMappedPages(rows: 0..<mapped.rows.count)
    }

    /// The same for the pages of `rows` only (indices in line order).
    func releaseMappedPages(rows: Range<Int>) {
        guard let mapped, let base = mapped.rows.baseAddress, !rows.isEmpty else { return }
        MappedFile.release(UnsafeRawPointer(base + rows.lowerBound), UnsafeRawPointer(base + rows.upperBound))
    }

    init() {}

    /// A sealed batch whose rows are read in place from `file`, which `rows` points into and which
    /// the batch keeps mapped (`ArchiveCache`).
    init(
        mapped rows: UnsafeBufferPointer<Row>, in file: MappedFile, strings: [String], stems: [Stem],
        wide: [(amount: ExactDecimal, refund: ExactDecimal)]
    ) {
        self.mapped = MappedRows(file: file, rows: rows)
        sealedStrings = strings
        self.stems = stems
        self.wide = wide
    }

    /// Writes the rows appended since the last call through `write` (which appends them to the
    /// archive's cache entry, `ArchiveCache.EntryWriter.append`, and returns the offset they start
    /// at, or nil when it failed), after the rows written before them, and drops them from memory
    /// (keeping the array's capacity for the next chunk): a member's rows wait in memory only a
    /// chunk at a time while the archive is read. False when the write failed: the rows stay here,
    /// and those written before are in the entry still (`ArchiveCache.EntryWriter.readBack`).
    mutating func writeBuiltRows(_ write: (UnsafeRawBufferPointer) -> Int?) -> Bool {
        precondition(mapped == nil, "a batch read from the cache is sealed")
        guard !builtRows.isEmpty else { return true }
        guard let offset = builtRows.withUnsafeBufferPointer({ write(UnsafeRawBufferPointer($0)) }) else {
            return false
        }
        if rowsInEntry == 0 { entryOffset = offset }
        precondition(offset == entryOffset + rowsInEntry * MemoryLayout<Row>.stride, "a member's rows are contiguous")
        rowsInEntry += builtRows.count
        builtRows.removeAll(keepingCapacity: true)
        return true
    }

    /// Puts `rows`, those written to the entry (read back after a write failed), before the rows
    /// in memory: the batch is then built in memory alone, as without an entry.
    mutating func takeBack(_ rows: [Row]) {
        precondition(rows.count == rowsInEntry, "every row written is taken back")
        builtRows = rows + builtRows
        rowsInEntry = 0
        entryOffset = 0
    }

    /// Once the entry is complete and mapped: the rows are read in place from `file`, where they
    /// were written (`entryOffset`), as a batch loaded from the cache is (`init(mapped:…)`).
    mutating func readRowsInPlace(from file: MappedFile) {
        precondition(mapped == nil && builtRows.isEmpty, "every row is in the entry")
        let stride = MemoryLayout<Row>.stride
        precondition(entryOffset + rowsInEntry * stride <= file.bytes.count, "the rows are in the file")
        let rows = UnsafeBufferPointer(
            start: (file.bytes.baseAddress! + entryOffset).bindMemory(to: Row.self, capacity: rowsInEntry),
            count: rowsInEntry)
        mapped = MappedRows(file: file, rows: rows)
        builtRows = []
        rowsInEntry = 0
        entryOffset = 0
    }

    /// One accepted transaction as Normalize has it, without a `TransactionRecord` and its `String`s:
    /// `id` and `district` are the UTF-8 bytes of `TransactionRecord.transactionID` and
    /// `sellerDistrictCode` (trimmed, NFC); the rest as the record holds them.
    mutating func append(
        id: UnsafeBufferPointer<UInt8>, year: Int, month: Int, amountVND: ExactDecimal, refundVND: ExactDecimal,
        status: TransactionStatus, channel: String, sellerTaxCode: String, district: UnsafeBufferPointer<UInt8>
    ) {
        precondition(mapped == nil, "a batch read from the cache is sealed")
        let channel = Self.intern(channel, in: &texts, recent: &recentChannels)
        var row = Row(
            number: 0, stem: 0, channel: channel,
            seller: Self.intern(sellerTaxCode, in: &texts, recent: &recentSellers),
            district: Self.intern(district, in: &texts, recent: &recentDistricts),
            year: Int16(truncatingIfNeeded: year),
            month: UInt8(truncatingIfNeeded: month), status: TransactionBatch.statusIndex(status), scale: 0,
            mantissa: 0)
        if let net = try? amountVND - refundVND, let mantissa = Int64(exactly: net.mantissa),
            net.scale <= Int(Int32.max)
        {
            row.mantissa = mantissa
            row.scale = Int32(net.scale)
        } else {
            row.scale = ~Int32(wide.count)
            wide.append((amountVND, refundVND))
        }
        (row.number, row.stem) = stem(of: id, channel: channel)
        channelsSeen.note(channel, status: row.status)
        yearsSeen.note(row.year)
        builtRows.append(row)
    }

    /// The id's trailing digits (at most 18) as a number, and the index of the rest in `stems`.
    private mutating func stem(of bytes: UnsafeBufferPointer<UInt8>, channel: UInt32) -> (UInt64, UInt32) {
        var start = bytes.count
        var number: UInt64 = 0
        var power: UInt64 = 1
        while start > 0 && bytes.count - start < 18 {
            let digit = bytes[start - 1] &- UInt8(ascii: "0")
            guard digit < 10 else { break }
            number += UInt64(digit) * power
            power &*= 10
            start -= 1
        }
        let width = UInt8(bytes.count - start)
        let prefix = UnsafeBufferPointer(rebasing: bytes[0..<start])
        if let index = recentStems.first(where: {
            $0.width == width && $0.channel == channel && sameBytes($0.prefix, prefix)
        }) {
            return (number, index)
        }
        let stem = Stem(channel: channel, prefix: Array(prefix), width: width)
        let index: UInt32
        if let found = stemIndex[stem] {
            index = found
        } else {
            index = UInt32(stems.count)
            stemIndex[stem] = index
            stems.append(stem)
        }
        recentStems.remember(stem, index)
        return (number, index)
    }

    /// The channels of the rows appended, each with its rows' statuses (`MemberResult.channels`);
    /// nil past `channelsKept` of them (a column holding other text than channels)
    /// and for a batch read from the cache. Before `seal`.
    func channels() -> [String: [TransactionStatus]]? {
        guard mapped == nil, sealedStrings == nil, let seen = channelsSeen.entries else { return nil }
        var channels: [String: [TransactionStatus]] = [:]
        for (channel, statuses) in seen {
            channels[texts.string(Int(channel))] = TransactionStatus.allCases.enumerated().compactMap { index, status in
                statuses & (1 << index) != 0 ? status : nil
            }
        }
        return channels
    }

    /// The years of the rows appended, ascending (`MemberResult.years`); nil for a year outside
    /// 1990–2117, and for a batch read from the cache. Before `seal`.
    func years() -> [Int]? {
        guard mapped == nil, sealedStrings == nil else { return nil }
        return yearsSeen.years
    }

    /// How many channels a member's `channels()` lists at most.
    static let channelsKept = 100

    /// Drops the builder's indexes once the member is read: the ledger needs only the arrays.
    mutating func seal() {
        sealedStrings = strings
        texts = LedgerTexts()
        stemIndex = [:]
        recentStems.forget()
        recentChannels.forget()
        channelsSeen = ChannelsSeen(limit: 0)
        yearsSeen = YearsSeen()
        recentSellers.forget()
        recentDistricts.forget()
    }

    static func statusIndex(_ status: TransactionStatus) -> UInt8 {
        UInt8(TransactionStatus.allCases.firstIndex(of: status)!)
    }

    private static func intern(
        _ text: String, in texts: inout LedgerTexts, recent: inout RecentlyMet<String>
    ) -> UInt32 {
        if let index = recent.first(where: { $0 == text }) { return index }
        let index = texts.intern(text)
        recent.remember(text, index)
        return index
    }

    /// `intern` for a text given as its UTF-8 bytes: no `String` is made.
    private static func intern(
        _ bytes: UnsafeBufferPointer<UInt8>, in texts: inout LedgerTexts, recent: inout RecentlyMet<[UInt8]>
    ) -> UInt32 {
        if let index = recent.first(where: { sameBytes($0, bytes) }) { return index }
        let index = texts.intern(utf8: bytes)
        recent.remember(Array(bytes), index)
        return index
    }
}

/// The channels of a member's rows (their text numbers), each with a bit per status its rows have,
/// up to `limit` channels (past that, none: `entries` is nil). Per row, a comparison with the last
/// channel noted, or a look through the few there are: no hashing.
private struct ChannelsSeen: Sendable {
    private let limit: Int
    private var seen: [(channel: UInt32, statuses: UInt8)] = []
    private var overflowed = false
    private var last = 0

    init(limit: Int) { self.limit = limit }

    /// Each channel noted and its statuses' bits; nil past `limit` channels.
    var entries: [(channel: UInt32, statuses: UInt8)]? { overflowed ? nil : seen }

    @inline(__always)
    mutating func note(_ channel: UInt32, status: UInt8) {
        if last < seen.count, seen[last].channel == channel {
            seen[last].statuses |= 1 << status
            return
        }
        if overflowed { return }
        if let index = seen.firstIndex(where: { $0.channel == channel }) {
            seen[index].statuses |= 1 << status
            last = index
        } else if seen.count < limit {
            seen.append((channel, 1 << status))
            last = seen.count - 1
        } else {
            overflowed = true
            seen = []
        }
    }
}

/// The years of a member's rows, one bit each over 1990–2117 (a transaction's local date is
/// refused outside 1990–2100 before it gets here); a year outside makes `years` nil.
private struct YearsSeen: Sendable {
    private static let first = 1990
    private var low: UInt64 = 0
    private var high: UInt64 = 0
    private var outside = false

    var years: [Int]? {
        guard !outside else { return nil }
        return (0..<128).filter { ($0 < 64 ? low >> $0 : high >> ($0 - 64)) & 1 != 0 }.map { Self.first + $0 }
    }

    @inline(__always)
    mutating func note(_ year: Int16) {
        let offset = Int(year) - Self.first
        if offset >= 0 && offset < 64 {
            low |= 1 << offset
        } else if offset >= 64 && offset < 128 {
            high |= 1 << (offset - 64)
        } else {
            outside = true
        }
    }
}

/// The last few keys met, with their numbers, looked through before a dictionary is hashed into:
/// the oldest is forgotten when another comes.
private struct RecentlyMet<Key: Sendable>: Sendable {
    private let keeping: Int
    private var entries: [(key: Key, index: UInt32)] = []
    private var oldest = 0

    init(keeping: Int) { self.keeping = keeping }

    func first(where matches: (Key) -> Bool) -> UInt32? {
        for entry in entries where matches(entry.key) { return entry.index }
        return nil
    }

    mutating func remember(_ key: Key, _ index: UInt32) {
        if entries.count < keeping {
            entries.append((key, index))
        } else {
            entries[oldest] = (key, index)
            oldest = (oldest + 1) % keeping
        }
    }

    mutating func forget() {
        entries = []
        oldest = 0
    }
}

extension TransactionBatch.Row {
    /// Its net amount in VND (amount − refund), `wide` holding its batch's amounts too wide for
    /// 64 bits (`TransactionBatch.wide`).
    @inline(__always)
    func net(wide: [(amount: ExactDecimal, refund: ExactDecimal)]) throws(ArithmeticOverflow) -> ExactDecimal {
        guard scale < 0 else { return ExactDecimal(mantissa: Int128(mantissa), scale: Int(scale)) }
        return try wide[Int(~scale)].amount - wide[Int(~scale)].refund
    }
}
