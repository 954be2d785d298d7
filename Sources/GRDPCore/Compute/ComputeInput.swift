/// What Compute needs: the current records after revisions, and the methodology.
///
/// Compute is pure: no I/O, no clock. Same input, same output.
public struct ComputeInput: Sendable {
    public var enterprises: [EnterpriseRow]
    /// Current transactions one by one (small inputs, tests)…
    public var transactions: [TransactionRecord]
    /// …and already summed by `TransactionGroup.Key` (a run: the revision ledger keeps them so). Compute
    /// takes both.
    public var transactionGroups: [TransactionGroup]
    /// …or with their texts interned (a run: the revision ledger's own form).
    var groupTable: TransactionGroupTable?
    /// Per group of `groupTable`, whether the sales rows it goes into are to be named in
    /// `ComputeOutput.flaggedSalesRows` (a night: the sales keys its returns touched).
    var flaggedGroups: [Bool]?
    public var grdp: [GRDPRow]

    public init(
        enterprises: [EnterpriseRow], transactions: [TransactionRecord], transactionGroups: [TransactionGroup] = [],
        grdp: [GRDPRow]
    ) {
        self.enterprises = enterprises
        self.transactions = transactions
        self.transactionGroups = transactionGroups
        self.groupTable = nil
        self.grdp = grdp
    }
}

/// The methodology part of the config that the formulas use (CONTRACT §5).
public struct Methodology: Sendable {
    public var coreVSICPrefixes: [String]
    public var countedStatuses: Set<TransactionStatus>
    public var vaRatioDefault: ExactDecimal
    public var vaRatioByChannel: [String: ExactDecimal]
    public var digitisedCoefficients: [String: ExactDecimal]
    public var targetPoints: [PipelineConfig.TargetPoint]
    public var interpolation: PipelineConfig.Interpolation

    public init(
        coreVSICPrefixes: [String] = PipelineConfig.defaultCoreVSICPrefixes,
        countedStatuses: Set<TransactionStatus> = [.completed],
        vaRatioDefault: ExactDecimal = ExactDecimal(mantissa: 10, scale: 2),
        vaRatioByChannel: [String: ExactDecimal] = [:],
        digitisedCoefficients: [String: ExactDecimal] = [:],
        targetPoints: [PipelineConfig.TargetPoint] = [],
        interpolation: PipelineConfig.Interpolation = .linear
    ) {
        self.coreVSICPrefixes = coreVSICPrefixes
        self.countedStatuses = countedStatuses
        self.vaRatioDefault = vaRatioDefault
        self.vaRatioByChannel = vaRatioByChannel
        self.digitisedCoefficients = digitisedCoefficients
        self.targetPoints = targetPoints.sorted { $0.year < $1.year }
        self.interpolation = interpolation
    }

    public init(config: PipelineConfig) {
        self.init(
            coreVSICPrefixes: config.methodology.coreVSICPrefixes,
            countedStatuses: config.methodology.countedStatuses,
            vaRatioDefault: config.methodology.vaRatioDefault,
            vaRatioByChannel: config.methodology.vaRatioByChannel,
            digitisedCoefficients: config.methodology.digitisedCoefficients,
            targetPoints: config.targets.points,
            interpolation: config.targets.interpolation)
    }

    /// A VSIC code (digits only) is ICT core when it starts with a configured prefix.
    public func isCore(vsic: String) -> Bool {
        coreVSICPrefixes.contains { vsic.hasPrefix($0) }
    }

    public func vaRatio(channel: String) -> ExactDecimal {
        vaRatioByChannel[channel] ?? vaRatioDefault
    }
}

/// What Compute hands on: the derived tables of the snapshot.
public struct ComputeOutput: Sendable, Equatable {
    public var indicators: [IndicatorRow]
    public var districtIndicators: [DistrictIndicatorRow]
    public var ecommerceSales: [EcommerceSalesRow]
    /// With `ComputeInput.flaggedGroups`: the positions in `ecommerceSales` of the rows a flagged
    /// group went into, ascending.
    var flaggedSalesRows: [Int]? = nil

    public init(
        indicators: [IndicatorRow], districtIndicators: [DistrictIndicatorRow], ecommerceSales: [EcommerceSalesRow]
    ) {
        (self.indicators, self.districtIndicators, self.ecommerceSales) = (
            indicators, districtIndicators, ecommerceSales
        )
    }
}
