// swift-tools-version: 6.1
import PackageDescription

/// Strictness for our own targets (swift-log's settings).
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]
/// The library states which imports its API exposes (`public import`); everything else is internal.
let library: [SwiftSetting] = strict + [.enableUpcomingFeature("InternalImportsByDefault")]

let package = Package(
    name: "grdp",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "grdp", targets: ["grdp"]),
        .library(name: "GRDPCore", targets: ["GRDPCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        .systemLibrary(
            name: "CArchive",
            pkgConfig: "libarchive",
            providers: [.apt(["libarchive-dev"])]
        ),
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .systemLibrary(
            name: "CCompression",
            providers: [.apt(["zlib1g-dev", "liblzma-dev", "libbz2-dev"])]
        ),
        // Header only: a prefetch hint for the revision ledger's hash tables.
        .systemLibrary(name: "CMemory"),
        // Header only: copy_file_range(2), for copying the latest snapshot in the kernel.
        .systemLibrary(name: "CFileCopy"),
        // SHA-256 whose state can be kept between runs (the content hash goes on from a year).
        .target(name: "CSHA256"),
        .target(
            name: "GRDPCore",
            dependencies: [
                "CArchive", "CSQLite", "CCompression", "CMemory", "CFileCopy", "CSHA256",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: library
        ),
        .executableTarget(
            name: "grdp",
            dependencies: [
                "GRDPCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "GRDPCoreTests",
            dependencies: [
                "GRDPCore", "CArchive", "CCompression", .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "grdpTests",
            dependencies: ["GRDPCore", "grdp"],
            swiftSettings: strict
        ),
    ]
)
