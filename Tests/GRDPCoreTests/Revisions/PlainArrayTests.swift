import Foundation
import Testing

@testable import GRDPCore

/// `PlainArray`: the revision ledger's arrays, as `Array` in what they hold, and usable in place as a
/// private mapping of a real file, which writing them never changes.
@Suite struct PlainArrayTests {
    @Test func aCopyIsNotChangedByTheOriginal() {
        var a: PlainArray<Int64> = [1, 2, 3]
        let b = a
        a[0] = 10
        a.append(4)
        #expect(Array(a) == [10, 2, 3, 4])
        #expect(Array(b) == [1, 2, 3])
        var c = PlainArray<Int32>(repeating: 0, count: 5)
        c[4] = 7
        #expect(Array(c) == [0, 0, 0, 0, 7])
        let d = PlainArray<Int32>(repeating: -1, count: 3)
        #expect(Array(d) == [-1, -1, -1])
        var e = PlainArray<UInt8>()
        for byte in 0..<1000 { e.append(UInt8(byte % 256)) }
        e.removeLast(10)
        #expect(e.count == 990 && e[989] == UInt8(989 % 256))
    }

    /// An array of its own grows where it is (`realloc`), one shared with a copy by copying; both
    /// keep every value, the copy keeps its own, and 16-byte values stay aligned.
    @Test func growingKeepsEveryValueInPlaceOrCopied() {
        func value(_ index: Int) -> Int128 { Int128(index) << 70 | Int128(index) }
        var array = PlainArray<Int128>()
        var copies: [PlainArray<Int128>] = []
        for index in 0..<300_000 {
            array.append(value(index))
            // Shared at that moment: the next growth copies instead.
            if index % 50_000 == 0 { copies.append(array) }
        }
        #expect(array.count == 300_000)
        #expect(array.indices.allSatisfy { array[$0] == value($0) })
        array.withUnsafeBufferPointer { #expect(Int(bitPattern: $0.baseAddress) % 16 == 0) }
        for (number, copy) in copies.enumerated() {
            #expect(copy.count == number * 50_000 + 1)
            #expect(copy.indices.allSatisfy { copy[$0] == value($0) })
        }
    }

    /// A file of `count` words (word i = i * 3) from offset 65,536, after zeros.
    private static func file(words count: Int) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("plain-\(UUID().uuidString).bin")
        var data = Data(count: 65_536)
        (0..<count).map { UInt64($0 * 3).littleEndian }.withUnsafeBytes { data.append(contentsOf: $0) }
        try data.write(to: url)
        return url
    }

    @Test func aMappingReadsTheFileAndWritesOnlyItsOwnCopy() throws {
        let url = try Self.file(words: 300_000)
        defer { try? FileManager.default.removeItem(at: url) }
        let before = try Data(contentsOf: url)
        let file = try InputFile(url)
        var values = try #require(
            PlainArray<UInt64>(mapping: file.descriptor, offset: 65_536, count: 300_000, capacity: 310_000))
        #expect(values.isMapped)
        #expect(values.count == 300_000 && values[0] == 0 && values[299_999] == 899_997)
        values[5] = 1
        values[200_000] = 2
        for extra in 0..<20_000 { values.append(UInt64(extra)) }
        #expect(values.count == 320_000 && values[319_999] == 19_999 && values[5] == 1)
        #expect(try Data(contentsOf: url) == before)

        // Two copies: the one changed copies the block, the other still reads the file.
        let copy = values
        values[7] = 9
        #expect(copy[7] == 21 && values[7] == 9)
    }

    /// The journal compares only values on pages written since the mapping (`/proc/self/pagemap`),
    /// and those past the bytes mapped; a value on a page never written is the file's.
    @Test func theValuesThatMayDifferFromTheFileAreThoseOnWrittenPages() throws {
        #if os(Linux)
            try #require(FileManager.default.isReadableFile(atPath: "/proc/self/pagemap"))
        #else
            return
        #endif
        let url = try Self.file(words: 300_000)
        defer { try? FileManager.default.removeItem(at: url) }
        let file = try InputFile(url)
        var values = try #require(
            PlainArray<UInt64>(mapping: file.descriptor, offset: 65_536, count: 300_000, capacity: 310_000))
        // Read all over, written at two places (pages of 512 words, if 4 KiB).
        var sum: UInt64 = 0
        for index in stride(from: 0, to: values.count, by: 97) { sum &+= values[index] }
        #expect(sum > 0)
        values[1_000] = 1
        values[250_000] = 2
        values.append(5)
        let ranges = try #require(values.indicesMaybeChanged(fromFile: file, at: 65_536))
        let covered = ranges.reduce(0) { $0 + $1.count }
        #expect(ranges.contains { $0.contains(1_000) })
        #expect(ranges.contains { $0.contains(250_000) })
        #expect(ranges.contains { $0.contains(300_000) })
        #expect(!ranges.contains { $0.contains(100_000) })
        // Three pages written (two values, the append), whatever the page size.
        #expect(covered <= 3 * Int(sysconf(Int32(_SC_PAGESIZE))) / 8, "\(ranges)")

        // Against another file, or another offset: any value may differ.
        let other = try Self.file(words: 300_000)
        defer { try? FileManager.default.removeItem(at: other) }
        #expect(values.indicesMaybeChanged(fromFile: try InputFile(other), at: 65_536) == nil)
        #expect(values.indicesMaybeChanged(fromFile: file, at: 0) == nil)
        #expect(PlainArray<UInt64>([1, 2]).indicesMaybeChanged(fromFile: file, at: 65_536) == nil)
    }

    /// A journal written from a mapped array compares only the values on pages written since, and
    /// read back over its base gives the array as it was written.
    @Test func aJournalOfAMappedArrayComparesOnlyTheWrittenPages() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("journal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let baseURL = folder.appendingPathComponent("base.bin")
        let journalURL = folder.appendingPathComponent("journal.bin")
        let original = PlainArray<UInt64>((0..<300_000).map { UInt64($0) &* 7 })
        try AtomicFile.write(to: baseURL, durable: false) { file throws(OutputWriteError) in
            var writer = LedgerStateWriter(file)
            try writer.header([])
            try writer.array(original)
            try writer.finish()
        }
        var reader = try LedgerStateReader(try InputFile(baseURL))
        _ = try reader.header()
        var values: PlainArray<UInt64> = try reader.plainArray(growing: true)
        try reader.finish()
        #expect(values.isMapped)
        values[10] = 1
        values[200_000] = 2
        values.append(3)
        var compared = 0
        try AtomicFile.write(to: journalURL, durable: false) { file throws(OutputWriteError) in
            var writer = LedgerStateWriter(file, patching: reader.layout, in: try! InputFile(baseURL))
            try writer.header([])
            try writer.array(values)
            try writer.finish()
            compared = writer.valuesCompared
        }
        #if os(Linux)
            #expect(compared <= 3 * Int(sysconf(Int32(_SC_PAGESIZE))) / 8, "\(compared) values compared")
        #endif
        var again = try LedgerStateReader(try InputFile(baseURL))
        _ = try again.header()
        _ = try again.attach(journal: try InputFile(journalURL))
        let read: PlainArray<UInt64> = try again.plainArray()
        try again.finish()
        #expect(read == values)
    }

    @Test func anOffsetOffThePageIsNotMapped() throws {
        let url = try Self.file(words: 1_000)
        defer { try? FileManager.default.removeItem(at: url) }
        let file = try InputFile(url)
        #expect(PlainArray<UInt64>(mapping: file.descriptor, offset: 8, count: 10, capacity: 10) == nil)
    }
}
