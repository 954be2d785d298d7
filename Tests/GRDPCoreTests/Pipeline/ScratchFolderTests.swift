import Foundation
import Testing

@testable import GRDPCore

/// `validate`'s scratch folder (`ScratchFolder`): its owner's alone, gone when let go, and swept
/// by the next one when its process died; never another process's, a link, or one being made.
@Suite struct ScratchFolderTests {
    private static func parent() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("grdp-scratch-test-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
        return folder
    }

    private static func names(in folder: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
    }

    @Test func itIsTheOwnersAloneLockedAndGoneWhenLetGo() throws {
        let parent = try Self.parent()
        defer { try? FileManager.default.removeItem(at: parent) }
        var scratch: ScratchFolder? = try ScratchFolder(in: parent)
        let url = try #require(scratch?.url)
        #expect(url.lastPathComponent.hasPrefix(ScratchFolder.prefix))
        let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o700)
        #expect(try Self.names(in: url) == [".lock"])
        // Its lock is held: a sweep leaves it.
        try Data("rows".utf8).write(to: url.appendingPathComponent("entry.bin"))
        ScratchFolder.removeAbandoned(in: parent)
        #expect(try Self.names(in: parent) == [url.lastPathComponent])
        scratch = nil
        #expect(try Self.names(in: parent).isEmpty)
    }

    /// A folder whose process died is swept; a link named like one, another prefix, and a folder
    /// still under its dot-name and less than a minute old are not. An old dot-named one is.
    @Test func theSweepTakesOnlyAbandonedFolders() throws {
        let parent = try Self.parent()
        defer { try? FileManager.default.removeItem(at: parent) }
        let elsewhere = try Self.parent()
        defer { try? FileManager.default.removeItem(at: elsewhere) }
        func folder(_ name: String) throws -> URL {
            let url = parent.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
            try Data("rows".utf8).write(to: url.appendingPathComponent("entry.bin"))
            return url
        }
        _ = try folder("grdp-validate-dead")
        _ = try folder("other-folder")
        _ = try folder(".grdp-validate-making")
        let old = try folder(".grdp-validate-old")
        try FileManager.default.setAttributes(
            [.modificationDate: Date(timeIntervalSinceNow: -120)], ofItemAtPath: old.path)
        try FileManager.default.createSymbolicLink(
            at: parent.appendingPathComponent("grdp-validate-link"), withDestinationURL: elsewhere)
        ScratchFolder.removeAbandoned(in: parent)
        #expect(try Self.names(in: parent) == [".grdp-validate-making", "grdp-validate-link", "other-folder"])
        // Nothing made in the link's target.
        #expect(try Self.names(in: elsewhere).isEmpty)
    }

    @Test func aFileSystemWithoutTheRoomIsRefused() throws {
        let parent = try Self.parent()
        defer { try? FileManager.default.removeItem(at: parent) }
        #expect(throws: ScratchFolder.NoRoom.self) { _ = try ScratchFolder(in: parent, needing: Int64.max / 2) }
        #expect(try Self.names(in: parent).isEmpty)
    }
}
