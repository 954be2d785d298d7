/// libFuzzer target: NumberParser and DateParser. Invariants: no crash; a value read in one
/// convention is read the same after swapping the two marks in the other; `auto` agrees with the
/// convention that accepts; an accepted number re-parses from its canonical text; a decisive value
/// parses in the convention it decides or in none; an accepted date is a real calendar date.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNumbersAndDates(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let en = NumberParser.parse(bytes, convention: .en)
    let vi = NumberParser.parse(bytes, convention: .vi)
    let auto = NumberParser.parse(bytes, convention: .auto)
    let swapped = bytes.map { $0 == 0x2C ? UInt8(0x2E) : $0 == 0x2E ? UInt8(0x2C) : $0 }
    let viOfSwapped = swapped.withUnsafeBufferPointer { NumberParser.parse($0, convention: .vi) }
    FuzzSupport.check(
        en == viOfSwapped, "en \(String(describing: en)) vs vi of swapped \(String(describing: viOfSwapped))")
    switch (en, vi) {
    case (let a?, let b?): FuzzSupport.check(auto == (a == b ? a : nil), "auto with both")
    case (let a?, nil): FuzzSupport.check(auto == a, "auto with en")
    case (nil, let b?): FuzzSupport.check(auto == b, "auto with vi")
    case (nil, nil): FuzzSupport.check(auto == nil, "auto with neither")
    }
    if let en {
        let text = en.description
        FuzzSupport.check(NumberParser.parse(text, convention: .en) == en, "en round trip of \(text)")
        FuzzSupport.check(ExactDecimal(canonical: text) == en, "canonical round trip of \(text)")
    }
    if let decided = NumberParser.decisiveConvention(bytes) {
        let other: PipelineConfig.NumberFormat = decided == .en ? .vi : .en
        FuzzSupport.check(
            NumberParser.parse(bytes, convention: other) == nil, "\(decided)-decisive value parses in \(other)")
    }

    for offset in [420, 0, -720, 840] {
        if let date = DateParser.parse(bytes, utcOffsetMinutes: offset) {
            FuzzSupport.check(
                DateParser.isValidDate(year: date.year, month: date.month, day: date.day), "invalid date \(date)")
        }
    }
    return 0
}
