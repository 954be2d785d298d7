/// Current transactions summed at the grain every formula of CONTRACT §5 reads them: local year and
/// month, channel, seller, seller district and status. Everything Compute derives from a
/// transaction (counted or not, seller match, va ratio, district) depends on these fields only, and
/// va = net × ratio is linear in net, so the indicators from groups are the indicators from the
/// transactions, exactly (sums are exact; order does not matter).
public struct TransactionGroup: Sendable, Hashable {
    public struct Key: Sendable, Hashable {
        public var year: Int
        public var month: Int
        public var channel: String
        public var sellerTaxCode: String
        public var sellerDistrictCode: String
        public var status: TransactionStatus

        public init(
            year: Int, month: Int, channel: String, sellerTaxCode: String, sellerDistrictCode: String,
            status: TransactionStatus
        ) {
            self.year = year
            self.month = month
            self.channel = channel
            self.sellerTaxCode = sellerTaxCode
            self.sellerDistrictCode = sellerDistrictCode
            self.status = status
        }

        public init(_ transaction: TransactionRecord) {
            self.init(
                year: transaction.year, month: transaction.month, channel: transaction.channel,
                sellerTaxCode: transaction.sellerTaxCode, sellerDistrictCode: transaction.sellerDistrictCode,
                status: transaction.status)
        }
    }

    public var key: Key
    /// How many current transactions the group holds.
    public var transactions: Int
    /// Σ (amount − refund_amount) in VND.
    public var netVND: ExactDecimal

    public init(key: Key, transactions: Int, netVND: ExactDecimal) {
        self.key = key
        self.transactions = transactions
        self.netVND = netVND
    }

    /// The groups of `transactions`, in no particular order.
    public static func grouping(_ transactions: [TransactionRecord]) throws(ArithmeticOverflow) -> [TransactionGroup] {
        var index: [Key: Int] = [:]
        var groups: [TransactionGroup] = []
        for transaction in transactions {
            let key = Key(transaction)
            let net = try transaction.amountVND - transaction.refundVND
            if let at = index[key] {
                groups[at].transactions += 1
                groups[at].netVND = try groups[at].netVND + net
            } else {
                index[key] = groups.count
                groups.append(TransactionGroup(key: key, transactions: 1, netVND: net))
            }
        }
        return groups
    }
}
