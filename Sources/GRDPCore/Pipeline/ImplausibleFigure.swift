/// A published figure no return can make (`PipelineRunner.noteImplausibleFigures`).
enum ImplausibleFigure: CustomStringConvertible {
    /// Digital-economy value added above GRDP.
    case shareAbove100(year: Int, share: ExactDecimal, de: ExactDecimal, grdp: ExactDecimal?)
    /// GRDP moved by a factor of 2 or more since the snapshot `since`.
    case grdpMoved(year: Int, before: ExactDecimal, now: ExactDecimal, since: Int)

    var description: String {
        switch self {
        case .shareAbove100(let year, let share, let de, let grdp):
            return "\(year): digital-economy value added \(SnapshotSchema.money(de)) billion VND is above GRDP "
                + "\(grdp.map(SnapshotSchema.money) ?? "") billion VND, a share of "
                + "\(SnapshotSchema.percent(share)) %: check the GRDP return's unit "
                + "(billion VND) and number format, and the currencies and fx rates of the transactions"
        case .grdpMoved(let year, let before, let now, let since):
            return "\(year): GRDP \(SnapshotSchema.money(before)) billion VND in \(SnapshotMeta.label(since)) is "
                + "\(SnapshotSchema.money(now)) now: check the GRDP return's unit (billion VND) and number format"
        }
    }

    var json: JSONValue {
        switch self {
        case .shareAbove100(let year, let share, let de, let grdp):
            return .object([
                ("year", .int(year)), ("check", .string("share-above-100")),
                ("share_pct", .number(SnapshotSchema.percent(share))),
                ("de_bvnd", .number(SnapshotSchema.money(de))),
                ("grdp_bvnd", grdp.map { .number(SnapshotSchema.money($0)) } ?? .null),
            ])
        case .grdpMoved(let year, let before, let now, let since):
            return .object([
                ("year", .int(year)), ("check", .string("grdp-moved")),
                ("grdp_bvnd", .number(SnapshotSchema.money(now))),
                ("grdp_bvnd_before", .number(SnapshotSchema.money(before))),
                ("before_in", .string(SnapshotMeta.label(since))),
            ])
        }
    }
}
