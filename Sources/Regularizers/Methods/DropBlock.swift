import Foundation
import NN
import Tensor

/// Ghiasi, Lin & Le, "DropBlock: A regularization method for convolutional networks", NeurIPS 2018.
///
/// Drops contiguous `blockSize × blockSize` squares of an NHWC feature map `[N, H, W, C]`. Seeds are Bernoulli(γ)
/// at the valid centres only (where a whole block fits), with
/// γ = rate / bs² · (H·W) / ((H − bs + 1)(W − bs + 1)), so that about `rate` of the units are dropped;
/// each seed zeroes its block; the output is `x · M · count(M) / count_ones(M)`, counted over the whole batch's
/// mask as in the paper. When every unit is dropped the output is all zeros (never 0/0).
///
/// Block anchoring: a block covers rows `centre − (bs − 1)/2 ..< centre − (bs − 1)/2 + bs` (integer division),
/// and likewise columns. For odd sizes it is centred; for even sizes the centre is the top-left cell of the
/// central 2 × 2, so the block reaches one row/column further down/right (timm's max-pool geometry). Valid
/// centres are the (H − bs + 1) × (W − bs + 1) positions whose block lies inside the map.
///
/// `sharedMask = false` (default) draws one mask per channel, like the TF reference; `true` draws one spatial mask
/// per sample for all channels, like timm's default. `schedule = .linear` lowers keep_prob linearly from 1 at
/// progress 0 to `1 − rate` at progress 1. Taxonomy: architecture.
public final class DropBlock: MaskLayer {
  public enum Schedule: String, Sendable, CaseIterable {
    case fixed
    case linear
  }

  public let rate: Double
  public let blockSize: Int
  public let sharedMask: Bool
  public let schedule: Schedule

  /// `rate` in [0, 1), `blockSize ≥ 1` and no larger than the map at the site (see `descriptor.validate`).
  public init(rate: Double, blockSize: Int, sharedMask: Bool = false, schedule: Schedule = .fixed, stream: UInt64 = 0) {
    precondition(rate >= 0 && rate < 1 && blockSize >= 1, "DropBlock: rate \(rate) or block size \(blockSize) invalid")
    self.rate = rate
    self.blockSize = blockSize
    self.sharedMask = sharedMask
    self.schedule = schedule
    super.init(stream: stream)
  }

  /// Rows (and columns) a block extends above (left of) its centre.
  public static func anchorOffset(blockSize: Int) -> Int { (blockSize - 1) / 2 }

  /// The seed probability at each valid centre.
  public static func gamma(rate: Double, blockSize bs: Int, height h: Int, width w: Int) -> Double {
    let valid = Double((h - bs + 1) * (w - bs + 1))
    return min(1, rate / Double(bs * bs) * Double(h * w) / valid)
  }

  /// The drop rate in force at `progress` ∈ [0, 1] of training.
  public static func effectiveRate(rate: Double, schedule: Schedule, progress: Double) -> Double {
    switch schedule {
    case .fixed: rate
    case .linear: rate * min(1, max(0, progress))
    }
  }

  /// The keep mask (1 kept, 0 dropped) for an NHWC `shape` `[N, H, W, C]`, with all N·H·W·C values even when
  /// `shared` (then every channel of a pixel agrees).
  ///
  /// Seeds are the successes of Bernoulli(γ) trials over the valid centres in the order (sample, row, column,
  /// channel); they are drawn by geometric skips between successes (the gaps of i.i.d. Bernoulli trials are
  /// i.i.d. geometric), so the cost is one draw per seed plus bs² writes per seed, not one draw per unit.
  public static func mask(shape: [Int], rate: Double, blockSize bs: Int, shared: Bool, key: RandomKey) -> [Float] {
    precondition(shape.count == 4, "DropBlock: expected an NHWC shape [N, H, W, C], got \(shape)")
    let (n, h, w, c) = (shape[0], shape[1], shape[2], shape[3])
    precondition(bs >= 1 && bs <= h && bs <= w, "DropBlock: block size \(bs) does not fit a \(h)×\(w) map")
    var mask = [Float](repeating: 1, count: n * h * w * c)
    let gamma = gamma(rate: rate, blockSize: bs, height: h, width: w)
    let (validRows, validColumns, lanes) = (h - bs + 1, w - bs + 1, shared ? 1 : c)
    let trials = n * validRows * validColumns * lanes
    guard gamma > 0, trials > 0 else { return mask }
    let logMiss = gamma < 1 ? Masking.logOnePlus(-gamma) : -Double.infinity
    mask.withUnsafeMutableBufferPointer { m in
      var position = -1
      var draw = 0
      while true {
        let skip = gamma < 1 ? (Masking.logarithm(Masking.openUniform(key, draw)) / logMiss).rounded(.down) : 0
        draw += 1
        if skip >= Double(trials - 1 - position) { break }
        position += 1 + Int(skip)
        var rest = position
        let lane = rest % lanes
        rest /= lanes
        let left = rest % validColumns
        rest /= validColumns
        let top = rest % validRows
        let sample = rest / validRows
        for row in top..<(top + bs) {
          let rowStart = ((sample * h + row) * w + left) * c
          if shared {
            m.baseAddress!.advanced(by: rowStart).update(repeating: 0, count: bs * c)
          } else {
            for column in 0..<bs { m[rowStart + column * c + lane] = 0 }
          }
        }
      }
    }
    return mask
  }

  /// count(M) / count_ones(M), or 0 when the mask drops everything.
  public static func renormalisation(_ mask: [Float]) -> Float {
    let ones = mask.withUnsafeBufferPointer { Elementwise.sum($0) }
    return ones == 0 ? 0 : Float(Double(mask.count) / ones)
  }

  public override func mask(shape: [Int], context: StepContext, key: RandomKey) -> Mask? {
    let current = Self.effectiveRate(rate: rate, schedule: schedule, progress: context.progress)
    guard context.mode == .train, current > 0 else { return nil }
    var mask = Self.mask(shape: shape, rate: current, blockSize: blockSize, shared: sharedMask, key: key)
    let scale = Self.renormalisation(mask)
    mask.withUnsafeMutableBufferPointer { Elementwise.scale(scale, $0) }
    return .elementwise(mask)
  }
}

extension DropBlock {
  public static let descriptor = RegularizerDescriptor(
    name: "dropblock", taxonomy: .architecture,
    summary: "Drops contiguous block_size × block_size squares of feature maps, renormalised by the kept fraction.",
    citation: "Ghiasi, Lin & Le, DropBlock: A regularization method for convolutional networks, NeurIPS 2018",
    parameters: [
      ParameterDescription(
        name: "rate", kind: .double(min: 0, max: 1, minInclusive: true, maxInclusive: false),
        defaultValue: .double(0.1),
        doc: "target drop rate, 1 − keep_prob (the paper uses keep_prob 0.9); 0 is the identity."),
      ParameterDescription(
        name: "block_size", kind: .int(min: 1, max: nil), defaultValue: .int(7),
        doc: "side of the dropped squares in pixels; 1 is dropout; even sizes reach one pixel further down/right."),
      ParameterDescription(
        name: "shared_mask", kind: .bool, defaultValue: .bool(false),
        doc: "false: one mask per channel (TF reference); true: one mask for all channels of a sample (timm)."),
      ParameterDescription(
        name: "schedule", kind: .choice(Schedule.allCases.map(\.rawValue)), defaultValue: .string("fixed"),
        doc: "fixed: keep_prob = 1 − rate throughout; linear: keep_prob falls from 1 to 1 − rate over training."),
    ],
    plugsInto: .featureMap,
    identity: ["rate": .double(0)],
    check: { params, site in
      let bs = params.int("block_size")
      guard bs <= site.shape[0], bs <= site.shape[1] else {
        return "dropblock: block_size \(bs) does not fit the \(site.shape[0])×\(site.shape[1]) feature map at '\(site.name)'; "
          + "use block_size ≤ \(min(site.shape[0], site.shape[1]))."
      }
      return nil
    },
    expectations: { params, site in
      let (rate, bs) = (params.double("rate"), params.int("block_size"))
      return [
        .dropFraction(expectedDropFraction(rate: rate, blockSize: bs, height: site.shape[0], width: site.shape[1])),
        .keptValueRenormalised, .blockStructure(bs), .evaluationIdentity,
      ]
    },
    build: { params, site in
      .layer(
        DropBlock(
          rate: params.double("rate"), blockSize: params.int("block_size"), sharedMask: params.bool("shared_mask"),
          schedule: Schedule(rawValue: params.string("schedule"))!, stream: site.stream))
    })

  /// The expected fraction of units a mask drops, restated from the paper independently of `gamma` and `mask`
  /// (the gate compares the two): seeds at valid centres with γ = rate/bs² · HW/((H − bs + 1)(W − bs + 1)); a unit
  /// covered by c(i, j) valid centres' blocks survives with probability (1 − γ)^c.
  public static func expectedDropFraction(rate: Double, blockSize bs: Int, height h: Int, width w: Int) -> Double {
    guard rate > 0 else { return 0 }
    let gamma = min(1, rate / Double(bs * bs) * Double(h * w) / Double((h - bs + 1) * (w - bs + 1)))
    func covering(_ i: Int, _ extent: Int) -> Int { min(i, extent - bs) - max(0, i - bs + 1) + 1 }
    var total = 0.0
    for i in 0..<h {
      for j in 0..<w { total += 1 - Foundation.pow(1 - gamma, Double(covering(i, h) * covering(j, w))) }
    }
    return total / Double(h * w)
  }
}
