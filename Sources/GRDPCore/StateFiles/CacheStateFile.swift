internal import Foundation

/// The header fields every `CacheStateFile` has: its format, and the build and config settings
/// that made it (`PipelineConfig.figuresSHA256`: a cache of another build, or of settings that
/// change the figures, is never used).
protocol CacheStateHeader: Codable {
    var format: String { get }
    var build: String { get }
    var figuresSHA256: String { get }
}

/// A file of the cache that only saves time, written and read as the kept revision ledger is
/// (`LedgerStateWriter`, `LedgerStateReader`): a JSON header (keys sorted), then its arrays, then a
/// `WordChecksum` of all of it; every count is checked against the bytes left before anything is
/// allocated. Replaced atomically, not fsynced: torn by a crash, it is not used, and only time is
/// lost. (`current-rows.bin`, `kept-groups.bin`.)
struct CacheStateFile {
    let url: URL
    let format: String
    let build: String
    let figuresSHA256: String

    /// What `body` reads after the header, when the file is this format's, build's and config's,
    /// `body` gives a value, and the checksum then holds; nil otherwise (missing, damaged, another's).
    func read<Header: CacheStateHeader, Value>(
        _ type: Header.Type, _ body: (Header, inout LedgerStateReader) throws -> Value?
    ) -> Value? {
        guard let file = try? InputFile(url), var reader = try? LedgerStateReader(file),
            let json = try? reader.header(), let header = try? JSONDecoder().decode(Header.self, from: Data(json)),
            header.format == format, header.build == build, header.figuresSHA256 == figuresSHA256,
            let value = try? body(header, &reader), (try? reader.finish()) != nil
        else { return nil }
        return value
    }

    /// Replaces the file with `header` and what `body` writes after it.
    func write(
        _ header: some CacheStateHeader, _ body: (inout LedgerStateWriter) throws(OutputWriteError) -> Void
    ) throws(OutputWriteError) {
        precondition(header.format == format && header.build == build && header.figuresSHA256 == figuresSHA256)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Plain values: encoding cannot fail.
        let json = [UInt8]((try? encoder.encode(header)) ?? Data())
        try AtomicFile.write(to: url, durable: false) { file throws(OutputWriteError) in
            var writer = LedgerStateWriter(file)
            try writer.header(json)
            try body(&writer)
            try writer.finish()
        }
    }

    func remove() { FileSystem.removeFile(url.path) }
}
