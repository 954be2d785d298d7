/// The tables `grdp export` writes (CONTRACT §7).
public enum ExportTable: String, CaseIterable, Sendable {
    case targetVsActual = "target-vs-actual"
    case byDistrict = "by-district"
    case quarantine

    /// Its file in `<outputs>/exports/` in `format`: `<table>.<extension>`.
    public func fileName(_ format: ExportFormat) -> String { "\(rawValue).\(format.fileExtension)" }
}

/// The formats `grdp export` writes.
public enum ExportFormat: String, CaseIterable, Sendable {
    case csv
    case json
    case md
    case html

    /// The file name extension (`<outputs>/exports/<table>.<extension>`).
    public var fileExtension: String { rawValue }
}
