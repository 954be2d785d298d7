/// Helpers for the inline SVG charts: scales, nice ticks and deterministic number printing.
///
/// Only `+ − × ÷` on `Double` (no `log10`/`pow`), so coordinates are the same bytes on every
/// IEEE-754 machine.
enum SVGChart {
    /// A coordinate with one decimal (`12.5`, `-3`), no exponent.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let tenths = Int((value * 10).rounded())
        let sign = tenths < 0 ? "-" : ""
        let magnitude = tenths.magnitude
        let fraction = magnitude % 10
        return sign + String(magnitude / 10) + (fraction == 0 ? "" : "." + String(fraction))
    }

    /// Axis ticks covering `low…high` (low ≤ 0 ≤ high expected): about `count` steps of 1, 2 or 5 × 10ⁿ.
    struct Ticks {
        /// Step = mantissa × 10^exponent.
        var mantissa: Int
        var exponent: Int
        var first: Int
        var last: Int

        var step: Double { Double(mantissa) * SVGChart.powerOfTen(exponent) }
        var low: Double { Double(first) * step }
        var high: Double { Double(last) * step }
        var values: [Int] { Array(first...last) }

        /// The label of tick `index` (tick value = index × step), printed exactly.
        func label(_ index: Int) -> String {
            if index == 0 { return "0" }
            let value = ExactDecimal(mantissa: Int128(index * mantissa), scale: max(0, -exponent))
            if exponent > 0 {
                return String(index * mantissa) + String(repeating: "0", count: exponent)
            }
            return value.description
        }

        init(low: Double, high: Double, count: Int = 5) {
            let span = max(high - low, 1e-9)
            let raw = span / Double(count)
            var exponent = 0
            var scale = 1.0
            while scale * 10 <= raw {
                scale *= 10
                exponent += 1
            }
            while scale > raw {
                scale /= 10
                exponent -= 1
            }
            let fraction = raw / scale
            var mantissa: Int
            if fraction <= 1 {
                mantissa = 1
            } else if fraction <= 2 {
                mantissa = 2
            } else if fraction <= 5 {
                mantissa = 5
            } else {
                mantissa = 1
                exponent += 1
            }
            self.mantissa = mantissa
            self.exponent = exponent
            let step = Double(mantissa) * SVGChart.powerOfTen(exponent)
            self.first = Int((low / step).rounded(.down))
            self.last = max(Int((high / step).rounded(.up)), first + 1)
        }
    }

    static func powerOfTen(_ exponent: Int) -> Double {
        var value = 1.0
        if exponent >= 0 {
            for _ in 0..<exponent { value *= 10 }
        } else {
            for _ in 0..<(-exponent) { value /= 10 }
        }
        return value
    }

    /// Which year labels to print on an axis of `years` so that they do not overlap.
    static func labelledYears(_ years: [Int], width: Double) -> Set<Int> {
        guard let first = years.first else { return [] }
        let room = max(1, Int(width / 44))
        let stride = max(1, (years.count + room - 1) / room)
        return Set(years.filter { ($0 - first) % stride == 0 })
    }
}
