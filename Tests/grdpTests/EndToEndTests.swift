import Testing
@testable import GRDPCore

/// End-to-end runs of the built `grdp` binary live here.
@Suite struct EndToEndTests {}
