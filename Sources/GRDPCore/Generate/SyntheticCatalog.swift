/// The fixed vocabulary of the synthetic returns: activities, districts, names, and the published
/// Đắk Nông figures the data is calibrated to (DOMAIN.md).
enum SyntheticCatalog {
    struct Activity {
        /// VSIC 2018 class (4 digits) or subclass (5 digits), digits only.
        var vsic: String
        var section: Character
        var isCore: Bool
        /// Relative frequency among enterprises of its group (core / other).
        var frequency: Double
        /// The word that goes into an enterprise name (`Cà phê`, `Công nghệ phần mềm`).
        var nameWord: String
        /// Probability that an enterprise of this activity sells online.
        var sellsOnline: Double
    }

    static let activities: [Activity] = [
        // ICT core (GSO list, VSIC 2018).
        .init(
            vsic: "62010", section: "J", isCore: true, frequency: 5, nameWord: "Công nghệ Phần mềm", sellsOnline: 0.2),
        .init(
            vsic: "62020", section: "J", isCore: true, frequency: 3, nameWord: "Giải pháp Công nghệ", sellsOnline: 0.1),
        .init(vsic: "62090", section: "J", isCore: true, frequency: 2, nameWord: "Dịch vụ Tin học", sellsOnline: 0.2),
        .init(vsic: "6311", section: "J", isCore: true, frequency: 2, nameWord: "Dữ liệu số", sellsOnline: 0.1),
        .init(vsic: "6312", section: "J", isCore: true, frequency: 1, nameWord: "Truyền thông số", sellsOnline: 0.1),
        .init(vsic: "6110", section: "J", isCore: true, frequency: 1, nameWord: "Viễn thông", sellsOnline: 0.1),
        .init(vsic: "6120", section: "J", isCore: true, frequency: 1, nameWord: "Viễn thông Di động", sellsOnline: 0.2),
        .init(vsic: "5820", section: "J", isCore: true, frequency: 1, nameWord: "Phần mềm", sellsOnline: 0.3),
        .init(vsic: "4651", section: "G", isCore: true, frequency: 4, nameWord: "Thiết bị Tin học", sellsOnline: 0.6),
        .init(vsic: "4652", section: "G", isCore: true, frequency: 3, nameWord: "Điện tử Viễn thông", sellsOnline: 0.6),
        .init(vsic: "2620", section: "C", isCore: true, frequency: 1, nameWord: "Điện tử", sellsOnline: 0.3),
        .init(vsic: "9511", section: "S", isCore: true, frequency: 2, nameWord: "Sửa chữa Máy tính", sellsOnline: 0.4),
        // Other industries.
        .init(vsic: "0126", section: "A", isCore: false, frequency: 8, nameWord: "Cà phê", sellsOnline: 0.2),
        .init(vsic: "0128", section: "A", isCore: false, frequency: 4, nameWord: "Hồ tiêu", sellsOnline: 0.2),
        .init(vsic: "0111", section: "A", isCore: false, frequency: 2, nameWord: "Nông nghiệp", sellsOnline: 0.1),
        .init(vsic: "0210", section: "A", isCore: false, frequency: 2, nameWord: "Lâm nghiệp", sellsOnline: 0.0),
        .init(vsic: "1077", section: "C", isCore: false, frequency: 5, nameWord: "Chế biến Cà phê", sellsOnline: 0.5),
        .init(vsic: "10101", section: "C", isCore: false, frequency: 2, nameWord: "Thực phẩm", sellsOnline: 0.4),
        .init(vsic: "2420", section: "C", isCore: false, frequency: 1, nameWord: "Nhôm", sellsOnline: 0.0),
        .init(vsic: "3511", section: "D", isCore: false, frequency: 2, nameWord: "Thủy điện", sellsOnline: 0.0),
        .init(vsic: "41010", section: "F", isCore: false, frequency: 6, nameWord: "Xây dựng", sellsOnline: 0.0),
        .init(
            vsic: "4620", section: "G", isCore: false, frequency: 6, nameWord: "Thương mại Nông sản", sellsOnline: 0.6),
        .init(vsic: "4711", section: "G", isCore: false, frequency: 9, nameWord: "Thương mại", sellsOnline: 0.7),
        .init(
            vsic: "4773", section: "G", isCore: false, frequency: 5, nameWord: "Thương mại Dịch vụ", sellsOnline: 0.7),
        .init(vsic: "4933", section: "H", isCore: false, frequency: 4, nameWord: "Vận tải", sellsOnline: 0.1),
        .init(vsic: "5510", section: "I", isCore: false, frequency: 3, nameWord: "Du lịch", sellsOnline: 0.5),
        .init(vsic: "5610", section: "I", isCore: false, frequency: 3, nameWord: "Ẩm thực", sellsOnline: 0.5),
        .init(
            vsic: "6419", section: "K", isCore: false, frequency: 1, nameWord: "Quỹ tín dụng nhân dân", sellsOnline: 0.0
        ),
        .init(vsic: "6810", section: "L", isCore: false, frequency: 2, nameWord: "Bất động sản", sellsOnline: 0.1),
        .init(vsic: "8510", section: "P", isCore: false, frequency: 2, nameWord: "Giáo dục", sellsOnline: 0.1),
        .init(vsic: "8610", section: "Q", isCore: false, frequency: 1, nameWord: "Y tế", sellsOnline: 0.1),
    ]

    /// Digitised-economy coefficients by VSIC section, written to the generated pipeline.yml.
    /// Kept as text: the generator never reads these through binary floating point for output.
    static let digitisedCoefficients: [(section: Character, text: String, value: Double)] = [
        ("A", "0.01", 0.01), ("C", "0.03", 0.03), ("D", "0.02", 0.02), ("F", "0.02", 0.02),
        ("G", "0.05", 0.05), ("H", "0.04", 0.04), ("I", "0.03", 0.03), ("K", "0.08", 0.08),
        ("L", "0.02", 0.02), ("P", "0.05", 0.05), ("Q", "0.04", 0.04),
    ]

    static func coefficient(_ section: Character) -> Double {
        digitisedCoefficients.first { $0.section == section }?.value ?? 0
    }

    /// E-commerce value-added ratios by channel (and the default for others).
    static let channelRatios: [(channel: String, text: String, value: Double)] = [
        ("marketplace", "0.08", 0.08), ("website", "0.12", 0.12), ("social", "0.10", 0.10),
        ("livestream", "0.09", 0.09),
    ]

    /// Đắk Nông's districts (DOMAIN.md) and how enterprises spread over them.
    static let districts: [(code: String, name: String, weight: Double)] = [
        ("660", "Gia Nghĩa", 30), ("661", "Đắk Glong", 7), ("662", "Cư Jút", 12), ("663", "Đắk Mil", 15),
        ("664", "Krông Nô", 8), ("665", "Đắk Song", 9), ("666", "Đắk R'Lấp", 12), ("667", "Tuy Đức", 7),
    ]

    static let regionCode = "67"
    /// Tax-office prefix of the enterprises registered in the province.
    static let taxPrefix = "64"
    /// Other provinces' sellers (province code, tax-office prefix): their sales are excluded.
    static let otherProvinces: [(province: String, taxPrefix: String)] = [
        ("79", "03"), ("01", "01"), ("66", "60"), ("68", "58"),
    ]

    static let legalForms = ["Công ty TNHH", "Công ty TNHH MTV", "Công ty Cổ phần", "Doanh nghiệp tư nhân"]
    static let brands = [
        "Phúc Thịnh", "Hưng Phát", "Thành Đạt", "Minh Khoa", "An Bình", "Tây Nguyên", "Đại Việt", "Hoàng Long",
        "Bảo Ngọc", "Trường Sơn", "Sơn Hà", "Nam Phương", "Thiên Ân", "Việt Hưng", "Đức Trí", "Hồng Phát",
        "Tân Tiến", "Quang Minh", "Gia Khang", "Hạt Ngọc", "Đồng Xanh", "M'Nông", "Sêrêpốk", "Nam Nung",
        "Tà Đùng", "Phước Lộc", "Kim Long", "Vạn Xuân",
    ]

    /// Status spellings: English ones are CONTRACT §4.3 defaults, Vietnamese ones go to `inputs.statuses`.
    static let englishSpellings: [TransactionStatus: [String]] = [
        .completed: ["completed", "Completed", "COMPLETED", "delivered", "Delivered", "success", "complete"],
        .cancelled: ["cancelled", "Canceled", "CANCELLED"],
        .refunded: ["refunded", "Returned"],
        .pending: ["pending", "Pending"],
    ]
    static let vietnameseSpellings: [TransactionStatus: [String]] = [
        .completed: ["Thành công", "Giao thành công", "Hoàn thành", "thành công"],
        .cancelled: ["Đã hủy", "Hủy đơn"],
        .refunded: ["Hoàn tiền", "Trả hàng"],
        .pending: ["Đang xử lý", "Chờ xác nhận"],
    ]

    // MARK: Calibration (published Đắk Nông figures, DOMAIN.md)

    /// GRDP at current prices, billion VND.
    static let grdpTable: [Int: Double] = [2020: 38_800, 2021: 42_600, 2022: 47_300, 2023: 51_000, 2024: 55_700]

    /// GRDP at current prices for any year: the table, extended at 9 % a year.
    static func grdpBillion(_ year: Int) -> Double {
        if let value = grdpTable[year] { return value }
        var value: Double
        if year < 2020 {
            value = 38_800
            for _ in year..<2020 { value /= 1.09 }
        } else {
            value = 55_700
            for _ in 2024..<year { value *= 1.09 }
        }
        return value
    }

    /// Digital-economy share aimed at (percent): 6.6 % in 2022 (Đắk Nông reported 6.64 %), rising.
    static func targetSharePct(_ year: Int) -> Double {
        min(25, max(1, 6.6 + 0.75 * Double(year - 2022)))
    }

    /// How the digital-economy value added splits into core, e-commerce and digitised.
    static let coreShare = 0.36
    static let ecommerceShare = 0.24
    static let digitisedShare = 0.40

    /// Annual average VND per USD.
    static func usdRate(_ year: Int) -> Int {
        switch year {
        case ..<2020: 23_200
        case 2020: 23_200
        case 2021: 23_100
        case 2022: 23_400
        case 2023: 23_800
        case 2024: 24_900
        default: 24_900 + 300 * (year - 2024)
        }
    }
}
