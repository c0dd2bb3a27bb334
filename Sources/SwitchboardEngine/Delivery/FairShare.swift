/// How one limit is split between the nodes that send to a system: max-min fair by demand (no
/// node gets more than it wants while another wants more than it has), and what nobody wants
/// spread evenly, so an idle node can start at once. Every node computes the same split from the
/// same rows: holders in the order given, the first ones taking the units that do not divide.
public enum FairShare {
    /// Each holder's part of `limit`, in the order of `demands`; the parts add up to `limit`
    /// (0 for each when `limit` is 0 or less).
    public static func split(_ limit: Int64, demands: [Int64]) -> [Int64] {
        let count = demands.count
        guard count > 0, limit > 0 else { return Array(repeating: 0, count: count) }
        var parts = Array(repeating: Int64(0), count: count)
        var open = Array(0..<count)
        var left = limit
        // Water-filling: whoever wants no more than an even part of what is left gets what it wants.
        while !open.isEmpty, left > 0 {
            let even = left / Int64(open.count)
            let satisfied = open.filter { demands[$0] - parts[$0] <= even }
            if satisfied.isEmpty {
                let rest = left - even * Int64(open.count)
                for (rank, index) in open.enumerated() { parts[index] += even + (Int64(rank) < rest ? 1 : 0) }
                left = 0
                break
            }
            for index in satisfied {
                let wanted = max(0, demands[index] - parts[index])
                parts[index] += wanted
                left -= wanted
            }
            open.removeAll { satisfied.contains($0) }
        }
        // What nobody wants: evenly to everyone.
        if left > 0 {
            let even = left / Int64(count)
            let rest = left - even * Int64(count)
            for index in 0..<count { parts[index] += even + (Int64(index) < rest ? 1 : 0) }
        }
        return parts
    }
}
