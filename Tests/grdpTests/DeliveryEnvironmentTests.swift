import Foundation
import GRDPCore
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The environment a real office runs grdp in: returns folders that Macs, desktops and rsync
/// write into, and outputs a team shares through a group. Real files, the real binary.
@Suite struct DeliveryEnvironmentTests {
    /// A Mac copying `a.zip` to a share leaves `._a.zip` (AppleDouble, not a zip) beside it; a desktop
    /// that deletes a return on a mounted share moves it to `.Trash-<uid>/files/`; rsync writes
    /// `.name.XXXXXX` until it renames. None of them is a return: the run neither fails on the first
    /// nor counts what the operator threw away, and lists them as ignored.
    @Test func hiddenFilesAndFoldersInTheReturnsFolderAreListedNotRead() throws {
        let fixture = try Fixture.withFirstReturnPublished()
        defer { fixture.remove() }
        let before = try fixture.grdp("export", "--format", "csv", "--output", "-").stdout

        let appleDouble: [UInt8] = [0x00, 0x05, 0x16, 0x07, 0x00, 0x02, 0x00, 0x00] + Array("Mac OS X        ".utf8)
        try Data(appleDouble).write(to: fixture.returns.appendingPathComponent("._a.zip"))
        // A return thrown away by hand: it would revise the retailer's value added.
        try fixture.write(Fixture.revision, format: .zip, as: ".Trash-1000/files/b.zip")
        try fixture.write(Fixture.revision, format: .tarGzip, as: ".b.tar.gz.Ab12Cd")

        let run = try fixture.grdp("run")
        #expect(run.status == 0, "\(run.stderr)")
        let report = try #require(try fixture.reportsWritten().last)
        #expect(report["outcome"] as? String == "up-to-date", "\(report)")
        let archives = try #require(report["archives"] as? [[String: Any]])
        #expect(archives.map { $0["path"] as? String } == ["a.zip"], "\(archives)")
        #expect(report["ignored_files"] as? [String] == [".Trash-1000/", "._a.zip", ".b.tar.gz.Ab12Cd"])
        #expect(try fixture.snapshotFiles() == ["grdp-v0001.sqlite"])
        #expect(try fixture.grdp("export", "--format", "csv", "--output", "-").stdout == before)
    }
}
