import Foundation
import Logging
import Synchronization
import Testing

@testable import GRDPCore

/// `KeptGroupsKeeping`: a run's groups are kept once, for the state they were bound to, on
/// another thread or here; no groups remove the file; a write that fails removes it and warns.
@Suite struct KeptGroupsKeepingTests {
    /// The warnings a keeping logs.
    final class Warnings: LogHandler, @unchecked Sendable {
        // @unchecked Sendable: `logged` is behind its mutex; the rest is set before any logging.
        let logged = Mutex<[String]>([])
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            guard event.level >= .warning else { return }
            logged.withLock { $0.append("\(event.message) \(event.metadata?["file"].map { "\($0)" } ?? "")") }
        }
    }

    private static func folder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("keeping-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test(arguments: [false, true])
    func groupsAreKeptOnceForTheStateTheyWereBoundTo(besideCompute: Bool) throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let warnings = Warnings()
        let keeping = KeptGroupsKeeping(logger: Logger(label: "test") { _ in warnings })
        let file = KeptGroupsFile(cacheFolder: folder, build: "b1", figuresSHA256: "c1")
        let groups = try KeptGroupsFileTests.groups()

        // Nothing bound: nothing kept.
        keeping.keep(years: [2024], besideCompute: besideCompute) { groups }
        keeping.finish()
        #expect(keeping.kept == nil && keeping.file == nil)
        #expect(!FileManager.default.fileExists(atPath: file.url.path))

        keeping.bind(to: file, token: "t1")
        #expect(keeping.file?.url == file.url)
        keeping.keep(years: [2023, 2024], besideCompute: besideCompute) { groups }
        keeping.finish()
        #expect(keeping.kept?.token == "t1" && keeping.kept?.years == [2023, 2024])
        #expect(keeping.file == nil)
        #expect(file.read(token: "t1")?.groups.count == groups.groups.count)
        // Once: a second keep (here one that would remove the file) does nothing.
        keeping.keep(years: [], besideCompute: besideCompute) { nil }
        keeping.finish()
        #expect(file.read(token: "t1") != nil)
        #expect(keeping.kept?.years == [2023, 2024])
        #expect(warnings.logged.withLock { $0 }.isEmpty)
    }

    @Test func noGroupsRemoveTheFile() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = KeptGroupsFile(cacheFolder: folder, build: "b1", figuresSHA256: "c1")
        try file.write(try KeptGroupsFileTests.groups(), token: "t0")
        let keeping = KeptGroupsKeeping(logger: Logger(label: "test"))
        keeping.bind(to: file, token: "t1")
        keeping.keep(years: [], besideCompute: false) { nil }
        #expect(keeping.kept == nil)
        #expect(!FileManager.default.fileExists(atPath: file.url.path))
    }

    /// The cache folder is a file: the write fails, no file is left, and the warning names it.
    @Test(arguments: [false, true])
    func aFailedWriteOnlyWarns(besideCompute: Bool) throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let notAFolder = folder.appendingPathComponent("cache")
        try Data("x".utf8).write(to: notAFolder)
        let warnings = Warnings()
        let keeping = KeptGroupsKeeping(logger: Logger(label: "test") { _ in warnings })
        let file = KeptGroupsFile(cacheFolder: notAFolder, build: "b1", figuresSHA256: "c1")
        keeping.bind(to: file, token: "t1")
        let groups = try KeptGroupsFileTests.groups()
        keeping.keep(years: [2024], besideCompute: besideCompute) { groups }
        keeping.finish()
        #expect(
            warnings.logged.withLock { $0 }
                == ["The transaction groups could not be kept for the next run \(file.url.path)"])
        #expect(file.read(token: "t1") == nil)
    }
}
