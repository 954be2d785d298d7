import Foundation
import GRDPCore
import Testing

/// `grdp verify` on published files (CONTRACT §7): one flipped byte fails with exit 65 naming the
/// check; an intact snapshot passes with 0; none at all is said, and 0.
@Suite struct VerifyEndToEndTests {
    /// Where to flip, and the check that must fail.
    struct Damage: Sendable, CustomTestStringConvertible {
        var label: String
        var check: String
        /// The byte offset to flip, given the file.
        var offset: @Sendable ([UInt8]) -> Int
        var testDescription: String { label }
    }

    static func offset(of text: String, in bytes: [UInt8]) -> Int {
        let needle = Array(text.utf8)
        return (0...(bytes.count - needle.count)).first { Array(bytes[$0..<($0 + needle.count)]) == needle }!
    }

    static let damages: [Damage] = [
        // The SQLite header: application_id at 68, user_version at 60 (big-endian, last byte).
        Damage(label: "application_id", check: "application-id", offset: { _ in 71 }),
        Damage(label: "user_version", check: "schema-version", offset: { _ in 63 }),
        // A letter of an enterprise's name: the file is sound, its content no longer matches the hash.
        Damage(label: "a value in a table", check: "content-hash", offset: { offset(of: "Gia Ngh", in: $0) + 2 }),
        // The file's page size: SQLite can no longer read it.
        Damage(label: "page size", check: "open", offset: { _ in 16 }),
    ]

    /// With no snapshot yet (a first run killed before publishing, say) no check fails: 0, as
    /// CONTRACT §7 has it, and stderr says that nothing was checked. A version that does not
    /// exist is a missing input (66).
    @Test func noSnapshotToVerifyIsSaid() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let verify = try fixture.grdp("verify")
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        #expect(verify.stdout.isEmpty)
        #expect(verify.stderr.contains("No snapshot to verify"), "\(verify.stderr)")
        #expect(try fixture.grdp("verify", "v0001").status == 66)
    }

    @Test(arguments: damages)
    func aFlippedByteFailsVerifyNamingTheCheck(_ damage: Damage) throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "a.zip")
        #expect(try fixture.grdp("run").status == 0)
        #expect(try fixture.grdp("run", "--force").status == 0)
        let good = try fixture.grdp("verify")
        #expect(good.status == 0)
        #expect(good.stdout == "v0001: ok\nv0002: ok\n")

        let url = fixture.snapshots.appendingPathComponent("grdp-v0001.sqlite")
        #expect((try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int) == 0o444)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: url.path)
        var bytes = Array(try Data(contentsOf: url))
        bytes[damage.offset(bytes)] ^= 0x01
        try Data(bytes).write(to: url)

        let all = try fixture.grdp("verify")
        #expect(all.status == 65)
        #expect(all.stdout.contains("v0001: FAILED [\(damage.check)]"), "\(all.stdout)")
        #expect(all.stdout.contains("v0002: ok"))
        let one = try fixture.grdp("verify", "v0001")
        #expect(one.status == 65)
        #expect(try fixture.grdp("verify", "v0002").status == 0)
    }
}
