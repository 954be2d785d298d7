import Foundation
import Testing

@testable import GRDPCore

/// A temporary folder, removed when the value is released.
final class TemporaryFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("grdp-unpack-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// `url` of `relative`, creating its parent folders.
    func file(_ relative: String) throws -> URL {
        let file = url.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        return file
    }

    /// Writes an archive of `entries` and returns its URL.
    func archive(_ name: String, _ entries: [ArchiveWriter.Entry], format: ArchiveWriter.Format) throws -> URL {
        let file = try file(name)
        try ArchiveWriter.write(entries, format: format, to: file)
        return file
    }

    /// Writes raw bytes and returns the URL.
    func write(_ name: String, _ bytes: [UInt8]) throws -> URL {
        let file = try file(name)
        try Data(bytes).write(to: file)
        return file
    }

    /// `bytes` compressed with `filter` (one stream).
    func compressed(_ bytes: [UInt8], _ filter: ArchiveWriter.Filter) throws -> [UInt8] {
        let file = try file("scratch-\(UUID().uuidString).\(filter.rawValue)")
        defer { try? FileManager.default.removeItem(at: file) }
        try ArchiveWriter.compress(bytes, with: filter, to: file)
        return try readBytes(file)
    }

    /// The bytes of an archive of `entries` in `format`.
    func archiveBytes(_ entries: [ArchiveWriter.Entry], format: ArchiveWriter.Format) throws -> [UInt8] {
        let file = try archive("scratch-\(UUID().uuidString).\(format.rawValue)", entries, format: format)
        defer { try? FileManager.default.removeItem(at: file) }
        return try readBytes(file)
    }
}

func readBytes(_ url: URL) throws -> [UInt8] {
    Array(try Data(contentsOf: url))
}

/// Deterministic pseudo-random bytes (xorshift), incompressible.
func noise(_ count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [UInt8] {
    var state = seed
    var bytes = [UInt8](repeating: 0, count: count)
    for index in 0..<count {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        bytes[index] = UInt8(truncatingIfNeeded: state)
    }
    return bytes
}

/// A CSV of `rows` lines (compressible like real returns).
func csvText(rows: Int) -> [UInt8] {
    var text = "transaction_id,date,amount,status\n"
    for row in 0..<rows {
        text += "T\(row),2024-0\(row % 9 + 1)-1\(row % 10),\((row * 7919) % 1_000_003),completed\n"
    }
    return Array(text.utf8)
}

/// Records everything `ArchiveReader` reports.
final class RecordingVisitor: ArchiveVisitor {
    enum Event: Equatable {
        case begin(String, Int64?)
        case end(String)
        case skipped(String, ReasonCode)
    }

    var events: [Event] = []
    var data: [String: [UInt8]] = [:]
    var skipDetails: [String: String] = [:]
    /// Bytes handed to `consume`, for every member.
    var consumedBytes: Int64 = 0
    /// Members whose `begin` returns false.
    var declined: Set<String> = []
    /// Keep the bytes (false for bombs).
    var keepData = true
    private var current: String?

    func begin(member: MemberHeader) throws -> Bool {
        events.append(.begin(member.path, member.declaredSize))
        current = member.path
        if !declined.contains(member.path) && keepData { data[member.path] = [] }
        return !declined.contains(member.path)
    }

    func consume(_ bytes: UnsafeRawBufferPointer) throws {
        consumedBytes += Int64(bytes.count)
        if keepData, let current { data[current, default: []].append(contentsOf: bytes) }
    }

    func end(member: MemberHeader) throws {
        #expect(member.path == current)
        events.append(.end(member.path))
        current = nil
    }

    func skipped(member: String, reason: ReasonCode, detail: String) {
        events.append(.skipped(member, reason))
        skipDetails[member] = detail
    }

    /// Paths of the regular members, in order.
    var members: [String] {
        events.compactMap { if case .begin(let path, _) = $0 { path } else { nil } }
    }
}

/// Reads `url` and returns what the visitor saw.
@discardableResult
func readArchive(
    _ url: URL, as relativePath: String? = nil, limits: UnpackLimits = UnpackLimits(),
    visitor: RecordingVisitor = RecordingVisitor()
) throws -> RecordingVisitor {
    try ArchiveReader(limits: limits).read(url, relativePath: relativePath ?? url.lastPathComponent, visitor: visitor)
    return visitor
}

/// The rejection reading `url` throws (a test failure when it throws none or another error).
func rejection(
    _ url: URL, as relativePath: String? = nil, limits: UnpackLimits = UnpackLimits(),
    visitor: RecordingVisitor = RecordingVisitor(), sourceLocation: Testing.SourceLocation = #_sourceLocation
) -> ArchiveRejection? {
    do {
        try readArchive(url, as: relativePath, limits: limits, visitor: visitor)
        Issue.record("\(url.lastPathComponent) was accepted", sourceLocation: sourceLocation)
        return nil
    } catch let rejection as ArchiveRejection {
        return rejection
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Asserts that reading `url` is rejected with `reason` naming `member`.
@discardableResult
func expectRejected(
    _ url: URL, _ reason: ReasonCode, member: String?, as relativePath: String? = nil,
    limits: UnpackLimits = UnpackLimits(), visitor: RecordingVisitor = RecordingVisitor(),
    sourceLocation: Testing.SourceLocation = #_sourceLocation
) -> ArchiveRejection? {
    let found = rejection(url, as: relativePath, limits: limits, visitor: visitor, sourceLocation: sourceLocation)
    if let found {
        #expect(found.reason == reason, "\(found)", sourceLocation: sourceLocation)
        #expect(found.member == member, "\(found)", sourceLocation: sourceLocation)
    }
    return found
}
