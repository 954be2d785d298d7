import Testing

@testable import GRDPCore

/// `Array.merged(with:by:)`: what `carryOver` puts the enterprises of a night's years and of the
/// others' in, where it sorted them twice.
struct SnapshotRowOrderTests {
    private func enterprise(_ taxCode: String, _ year: Int, name: String = "") -> EnterpriseRow {
        EnterpriseRow(
            taxCode: taxCode, year: year, name: name, vsic: "47910", section: "G", districtCode: "660",
            valueAddedMVND: ExactDecimal(mantissa: 1, scale: 0), isCore: false,
            source: SourceLocation(archivePath: "a.tar.gz", memberPath: "e.csv", line: 2))
    }

    private func keys(_ rows: [EnterpriseRow]) -> [String] { rows.map { "\($0.taxCode)/\($0.year)/\($0.name)" } }

    @Test func twoOrderedArraysMergeAsTheSortOfBoth() {
        var generator = SplitMix64(seed: 47)
        for _ in 0..<200 {
            let all = (0..<Int(generator.next() % 40)).map { _ in
                enterprise(
                    "\(6_400_000_000 + Int(generator.next() % 30))", 2020 + Int(generator.next() % 6),
                    name: "n\(generator.next() % 3)")
            }
            var (left, right): ([EnterpriseRow], [EnterpriseRow]) = ([], [])
            for row in all { if generator.next() % 2 == 0 { left.append(row) } else { right.append(row) } }
            left.sort(by: EnterpriseRow.precedes)
            right.sort(by: EnterpriseRow.precedes)
            let merged = left.merged(with: right, by: EnterpriseRow.precedes)
            // Equal keys (same tax code and year, other names): `left`'s first, as a stable sort.
            #expect(keys(merged) == keys((left + right).sorted(by: EnterpriseRow.precedes)))
        }
    }

    @Test func anArrayOutOfOrderIsSorted() {
        let left = [enterprise("6400000002", 2024), enterprise("6400000001", 2024)]
        let right = [enterprise("6400000001", 2023), enterprise("6400000003", 2022)]
        #expect(
            keys(left.merged(with: right, by: EnterpriseRow.precedes)) == [
                "6400000001/2023/", "6400000001/2024/", "6400000002/2024/", "6400000003/2022/",
            ])
        #expect(
            keys(right.merged(with: left, by: EnterpriseRow.precedes))
                == keys((right + left).sorted(by: EnterpriseRow.precedes)))
    }

    @Test func emptySidesGiveTheOther() {
        let rows = [enterprise("6400000001", 2023), enterprise("6400000001", 2024)]
        #expect(keys(rows.merged(with: [], by: EnterpriseRow.precedes)) == keys(rows))
        #expect(keys([].merged(with: rows, by: EnterpriseRow.precedes)) == keys(rows))
        #expect([EnterpriseRow]().merged(with: [], by: EnterpriseRow.precedes).isEmpty)
    }

    @Test func taxCodeFirstThenYear() {
        #expect(EnterpriseRow.precedes(enterprise("6400000001", 2025), enterprise("6400000002", 2020)))
        #expect(EnterpriseRow.precedes(enterprise("6400000001", 2020), enterprise("6400000001", 2021)))
        #expect(!EnterpriseRow.precedes(enterprise("6400000001", 2021), enterprise("6400000001", 2021)))
    }
}
