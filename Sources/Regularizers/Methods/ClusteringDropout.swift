import Foundation
import NN
import Tensor

/// Clustering-based adaptive dropout (Pattern Recognition 2020, seed 001): fully connected units are grouped by how
/// strongly they respond, and each group gets its own drop rate — the higher the response, the lower the rate.
/// Biased dropout (two equal-size groups, a low rate for the stronger half) is its simplest case.
///
/// Reading implemented (the seed gives the idea, not the update rule):
/// - At an activation site of `[N, F]` units, a statistic per unit over the current epoch: `feature` — mean
///   |activation| seen in the training forwards; `feature-gradient` — mean |∂L/∂activation| seen in the backwards;
///   `weight` — the L2 norm of the unit's incoming weights (its row of the fully connected layer before the site)
///   at the epoch's end; `weight-gradient` — the mean over the epoch's steps of the L2 norm of that row's gradient,
///   as the optimiser applied it (weight decay included when the spec has one). The weight variants need a site
///   right after a fully connected layer (`mlp` hidden<i>, `cnn` fc1: the site's `weightSite`), whose layer the
///   site recorder attaches (`ReadsUnitWeights`).
/// - At each epoch end (a `TrainingHook` refresh — the only time the grouping changes), the units are grouped by
///   that statistic: `kmeans` — 1-D k-means with `clusters` groups (initial centres at the statistic's evenly spaced
///   quantiles, 50 Lloyd iterations, deterministic); `halves` — biased dropout, the stronger half and the weaker
///   half by the median (ties by unit index). Groups are ordered by response; drop rates run linearly from `high`
///   (weakest group) to `low` (strongest). Before the first refresh every unit drops at (low + high)/2.
/// - Training: unit u of sample n is dropped when uniform draw n·F + u of the step key folded with the site's
///   stream is below its group's rate; kept units are scaled by 1/(1 − rate_u) (inverted), so evaluation is the
///   identity. The statistics restart each epoch.
/// Taxonomy: architecture.
public final class ClusteringDropout: Layer, TrainingHook, ReadsUnitWeights {
  public enum Statistic: String, Sendable, CaseIterable {
    case feature
    case featureGradient = "feature-gradient"
    case weight
    case weightGradient = "weight-gradient"

    var readsWeights: Bool { self == .weight || self == .weightGradient }
  }

  public enum Grouping: String, Sendable, CaseIterable {
    case kmeans
    case halves
  }

  public let statistic: Statistic
  public let grouping: Grouping
  public let clusters: Int
  public let low: Double
  public let high: Double
  public let stream: UInt64
  /// Each unit's drop rate in force (all (low + high)/2 until the first epoch ends).
  public private(set) var rates: [Double]
  /// Running sums of the statistic and how many values they hold, this epoch.
  private var sums: [Double]
  private var counts = 0
  private var applied: [Float]?
  /// The fully connected layer whose units the site sees (weight statistics).
  private(set) weak var unitLayer: Linear?

  public init(
    units: Int, statistic: Statistic = .feature, grouping: Grouping = .kmeans, clusters: Int = 3, low: Double = 0.2,
    high: Double = 0.6, stream: UInt64 = 0
  ) {
    precondition(units > 0 && clusters >= 1 && low >= 0 && low <= high && high < 1, "ClusteringDropout: bad parameters")
    self.statistic = statistic
    self.grouping = grouping
    self.clusters = clusters
    self.low = low
    self.high = high
    self.stream = stream
    rates = Array(repeating: (low + high) / 2, count: units)
    sums = Array(repeating: 0, count: units)
  }

  public func forward(_ x: Tensor, _ context: StepContext) -> Tensor {
    guard context.mode == .train, high > 0 else {
      applied = nil
      return x
    }
    let f = rates.count
    precondition(x.rowLength == f, "ClusteringDropout: \(f) units, got rows of \(x.rowLength)")
    let n = x.rows
    if statistic == .feature {
      x.withUnsafeBufferPointer { xs in for i in 0..<(n * f) { sums[i % f] += Double(abs(xs[i])) } }
      counts += n
    }
    let u = context.key.fold(stream).uniforms(n * f)
    var mask = [Float](repeating: 0, count: n * f)
    for i in 0..<(n * f) {
      let r = rates[i % f]
      if Double(u[i]) >= r { mask[i] = Float(1 / (1 - r)) }
    }
    applied = mask
    return MaskLayer.apply(.elementwise(mask), to: x)
  }

  public func backward(_ dy: Tensor) -> Tensor {
    guard let applied else { return dy }
    if statistic == .featureGradient {
      let f = rates.count
      dy.withUnsafeBufferPointer { g in for i in 0..<dy.count { sums[i % f] += Double(abs(g[i])) } }
      counts += dy.rows
    }
    return MaskLayer.apply(.elementwise(applied), to: dy)
  }

  public func attach(_ layer: Linear) { unitLayer = layer }

  /// The L2 norm of each unit's row of `matrix` `[F, in]`.
  static func rowNorms(_ matrix: Tensor) -> [Double] {
    let (units, fanIn) = (matrix.shape[0], matrix.shape[1])
    return matrix.withUnsafeBufferPointer { m in
      (0..<units).map { u in
        var sum = 0.0
        for j in 0..<fanIn { sum += Double(m[u * fanIn + j]) * Double(m[u * fanIn + j]) }
        return sum.squareRoot()
      }
    }
  }

  /// `weight-gradient`: the step's gradient of the unit rows, after the optimiser used it.
  public func afterStep(_ parameters: [Parameter], _ context: StepContext) {
    guard statistic == .weightGradient, high > 0, let unitLayer else { return }
    for (u, norm) in Self.rowNorms(unitLayer.weight.grad).enumerated() where u < sums.count { sums[u] += norm }
    counts += 1
  }

  /// Regroups the units by this epoch's statistic and restarts it.
  public func epochEnd(_ epoch: Int) {
    defer {
      for i in sums.indices { sums[i] = 0 }
      counts = 0
    }
    if statistic == .weight, let unitLayer {
      rates = Self.rates(
        for: Self.rowNorms(unitLayer.weight.value), grouping: grouping, clusters: clusters, low: low, high: high)
      return
    }
    guard counts > 0 else { return }
    let values = sums.map { $0 / Double(counts) }
    rates = Self.rates(for: values, grouping: grouping, clusters: clusters, low: low, high: high)
  }

  /// Each unit's rate: groups ordered by response, rates linear from `high` (weakest) to `low` (strongest).
  public static func rates(for values: [Double], grouping: Grouping, clusters: Int, low: Double, high: Double)
    -> [Double]
  {
    let (groupOf, groupCount) =
      switch grouping {
      case .halves: halves(values)
      case .kmeans: kMeans(values, k: clusters)
      }
    return groupOf.map { g in
      groupCount <= 1 ? (low + high) / 2 : low + (high - low) * Double(groupCount - 1 - g) / Double(groupCount - 1)
    }
  }

  /// Two equal-size groups by the median (the weaker half is group 0; ties by unit index).
  public static func halves(_ values: [Double]) -> (groups: [Int], count: Int) {
    let order = values.indices.sorted { values[$0] != values[$1] ? values[$0] < values[$1] : $0 < $1 }
    var groups = [Int](repeating: 1, count: values.count)
    for u in order.prefix(values.count / 2) { groups[u] = 0 }
    return (groups, values.count > 1 ? 2 : 1)
  }

  /// 1-D k-means: initial centres at evenly spaced quantiles, 50 Lloyd iterations, empty groups dropped; groups
  /// numbered by increasing centre.
  public static func kMeans(_ values: [Double], k: Int) -> (groups: [Int], count: Int) {
    let sorted = values.sorted()
    let k = max(1, min(k, Set(values).count))
    var centres = (0..<k).map { i in sorted[min(sorted.count - 1, Int((Double(i) + 0.5) / Double(k) * Double(sorted.count)))] }
    var groups = [Int](repeating: 0, count: values.count)
    for _ in 0..<50 {
      for (u, v) in values.enumerated() {
        groups[u] = centres.indices.min { abs(v - centres[$0]) < abs(v - centres[$1]) }!
      }
      var moved = false
      for c in centres.indices {
        let members = values.indices.filter { groups[$0] == c }.map { values[$0] }
        guard !members.isEmpty else { continue }
        let mean = members.reduce(0, +) / Double(members.count)
        if mean != centres[c] {
          centres[c] = mean
          moved = true
        }
      }
      if !moved { break }
    }
    let used = Array(Set(groups)).sorted { centres[$0] < centres[$1] }
    let rank = Dictionary(uniqueKeysWithValues: used.enumerated().map { ($1, $0) })
    return (groups.map { rank[$0]! }, used.count)
  }
}

extension ClusteringDropout {
  public static let descriptor = RegularizerDescriptor(
    name: "clustering-dropout", taxonomy: .architecture, traits: Traits(dependsOn: .trainingStatistics),
    summary: "Groups units by their response each epoch; stronger groups drop less (biased dropout with halves).",
    citation: "Clustering-based adaptive dropout, Pattern Recognition 2020 (seed 001)",
    parameters: [
      ParameterDescription(
        name: "statistic", kind: .choice(Statistic.allCases.map(\.rawValue)), defaultValue: .string("feature"),
        doc: "what groups the units, per epoch: mean |activation| (feature), mean |gradient| (feature-gradient), the "
          + "norm of the unit's incoming weights (weight) or of their gradient (weight-gradient; sites right after a "
          + "fully connected layer)."),
      ParameterDescription(
        name: "grouping", kind: .choice(Grouping.allCases.map(\.rawValue)), defaultValue: .string("kmeans"),
        doc: "kmeans: 1-D k-means with `clusters` groups; halves: biased dropout (two equal groups by the median)."),
      ParameterDescription(
        name: "clusters", kind: .int(min: 1, max: 64), defaultValue: .int(3), doc: "groups for kmeans."),
      ParameterDescription(
        name: "low", kind: .double(min: 0, max: 1, minInclusive: true, maxInclusive: false), defaultValue: .double(0.2),
        doc: "drop rate of the strongest group."),
      ParameterDescription(
        name: "high", kind: .double(min: 0, max: 1, minInclusive: true, maxInclusive: false), defaultValue: .double(0.6),
        doc: "drop rate of the weakest group (before the first epoch ends every unit drops at (low + high)/2)."),
    ],
    plugsInto: .vector, identity: ["low": .double(0), "high": .double(0)],
    check: { params, site in
      if params.double("low") > params.double("high") {
        return "clustering-dropout: low (\(params.double("low"))) must not exceed high (\(params.double("high")))."
      }
      let statistic = Statistic(rawValue: params.string("statistic"))!
      if statistic.readsWeights, site.weightSite == nil {
        return "clustering-dropout: statistic \(statistic.rawValue) reads the incoming weights of the site's units, "
          + "but \(site.name) does not follow a fully connected layer; use an mlp hidden<i> or cnn fc1 site."
      }
      return nil
    },
    expectations: { params, _ in
      let mid = (params.double("low") + params.double("high")) / 2
      return [.dropFraction(mid), .keptValue(1 / (1 - mid)), .evaluationIdentity]
    },
    build: { params, site in
      .layer(
        ClusteringDropout(
          units: site.shape[0], statistic: Statistic(rawValue: params.string("statistic"))!,
          grouping: Grouping(rawValue: params.string("grouping"))!, clusters: params.int("clusters"),
          low: params.double("low"), high: params.double("high"), stream: site.stream))
    })
}
