extension PipelineConfig {
    /// SHA-256 (lower-case hex) over the settings that reading an archive depends on: what
    /// Unpack and Normalize make of its bytes, and whether the archive is accepted. The archive
    /// cache is named by it (issue 5: "an archive already processed (same sha256, same
    /// normalization settings) is not decompressed again"), so that editing a target, the
    /// methodology, the outputs or the exclusions of other archives, or only a comment, does not
    /// make a run decompress every archive again.
    ///
    /// In it: `version`; `region.code` (the province rows are checked against) and
    /// `region.utc_offset` (what gives a transaction its local date); `inputs` but its folder and
    /// `exclude` (number format, kinds, columns, statuses, fx); `limits`; `quality` (the
    /// quarantine ratio that rejects an archive). Not in it: `region.districts` (the `district`
    /// table's names), `methodology` and `targets`, which only Compute and the publish read
    /// (`figuresSHA256` holds them); `region.name`, which no run reads; `outputs`; the file's path.
    /// The revision ledger, the kept groups, the touched-years shortcut and the up-to-date shortcut
    /// are bound to `figuresSHA256`; the sales digests need not be (they cover every column of the
    /// rows compared).
    ///
    /// Numbers by value: a rate or a ratio written with more or fewer trailing zeros (`24900.0`,
    /// `0.010`) is the same setting, and every archive is not read again for it. Reading takes them
    /// so: the fx rates are kept reduced from the load on (a quarantined row's detail names its
    /// rate), and the ratios are only compared (`ExactDecimal`'s comparisons go by value).
    ///
    /// `PipelineConfigReadingTests` lists every stored property of these sections: a new one
    /// fails there until it is placed in or out of this digest.
    var readingSHA256: String {
        var key = ContentHash.Serializer()
        key.string("grdp-reading-settings-v3")
        serializeReading(into: &key)
        key.decimal(limits.maxMemberBytes)
        key.string(limits.maxCompressionRatio.reduced.description)
        key.string(quality.maxQuarantineRatio.reduced.description)
        return key.finish()
    }

    /// The reading settings a row's values depend on: all of `readingSHA256`'s but the limits and
    /// the quarantine ratio, which decide whether an archive or member is taken at all (a run that
    /// takes one the other would not fails, exit 65), not what its rows say.
    /// - Parameter year: of `inputs.fx`, only the rates of this year (`methodSHA256(forYear:)`).
    func serializeReading(into key: inout ContentHash.Serializer, fxOfYear year: Int? = nil) {
        key.decimal(Int64(version))

        key.string(region.code)
        key.decimal(Int64(region.utcOffsetMinutes))  // west of UTC: negative

        key.string(inputs.numberFormat.rawValue)
        Self.serialize(Dictionary(uniqueKeysWithValues: inputs.kinds.map { ($0.rawValue, $1) }), into: &key) {
            patterns, key in
            key.count(patterns.count)
            for pattern in patterns { key.string(pattern) }
        }
        Self.serialize(Dictionary(uniqueKeysWithValues: inputs.columns.map { ($0.rawValue, $1) }), into: &key) {
            aliases, key in
            Self.serialize(aliases, into: &key) { names, key in
                key.count(names.count)
                for name in names { key.string(name) }
            }
        }
        Self.serialize(inputs.statuses, into: &key) { $1.string($0.rawValue) }
        if let year {
            // By value, as `serializeMethodology` takes the ratios: `23800.0` is `23800`, and the
            // loader's own advice for a three-decimal rate (`165.1250`) is no new setting.
            Self.serialize(inputs.fx.compactMapValues { $0[year] }, into: &key) { $1.string($0.reduced.description) }
        } else {
            Self.serialize(inputs.fx, into: &key) { rates, key in
                key.count(rates.count)
                for year in rates.keys.sorted() {
                    key.decimal(Int64(year))
                    key.string(rates[year]?.reduced.description ?? "")
                }
            }
        }
    }

    /// A dictionary keyed by text, in the order of its keys' bytes, each value by `value`.
    static func serialize<Value>(
        _ dictionary: [String: Value], into key: inout ContentHash.Serializer,
        value: (Value, inout ContentHash.Serializer) -> Void
    ) {
        key.count(dictionary.count)
        for name in dictionary.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            key.string(name)
            if let entry = dictionary[name] { value(entry, &key) }
        }
    }
}
