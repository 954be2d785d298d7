import Foundation
import GRDPCore
import Testing

/// `kill -9` during `run --force` at fixed moments (CONTRACT §6, §7): no partial snapshot, the next
/// run cleans up and publishes the same figures. `scripts/kill-test.sh` does this 50+ times at random
/// moments on a larger dataset; this is its small in-suite version.
@Suite struct KillTests {
    @Test func aRunKilledAtAnyMomentLeavesNoPartialSnapshotAndTheNextRunRecovers() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.generate(transactions: 20_000)
        let first = try fixture.grdp("--quiet", "run")
        #expect(first.status == 0, "\(first.stderr)")
        let reference = try #require(try fixture.latestContentHash())

        var killedCount = 0
        for delay in [0.05, 0.4, 1.0] {
            let run = try fixture.start("--quiet", "run", "--force")
            Thread.sleep(forTimeInterval: delay)
            run.kill()
            if try run.wait().killed { killedCount += 1 }

            // Nothing but published snapshots and temporaries; every published one verifies.
            for name in try fixture.snapshotFiles() {
                let published = SnapshotStore.version(fromFileName: name) != nil
                #expect(published || (name.hasPrefix(".grdp-") && name.hasSuffix(".tmp")), "\(name)")
            }
            let verify = try fixture.grdp("verify")
            #expect(verify.status == 0, "after a kill at \(delay) s: \(verify.stdout)")

            let next = try fixture.grdp("--quiet", "run", "--force")
            #expect(next.status == 0, "after a kill at \(delay) s: \(next.stderr)")
            #expect(try fixture.snapshotFiles().allSatisfy { !$0.hasPrefix(".grdp-") })
            #expect(try fixture.latestContentHash() == reference)
        }
        #expect(killedCount >= 2, "most kills should land while the run is still going")
    }
}
