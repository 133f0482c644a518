import Foundation

@testable import Experiments

/// Simulated training under a cosine schedule annealed to zero, for the regime-rule Monte-Carlo.
///
/// An arm's train accuracy at epoch t of a complete schedule of L epochs is
///
///     acc(t; L) = min(100, A − B·exp(−s(t)/τ) − C·η(t) + noise),   η(t) = ½(1 + cos(πt/L)),
///     s(t) = ∫₀ᵗ η = t/2 + (L/2π)·sin(πt/L)
///
/// — progress at the rate of the learning rate η (so τ_eff = τ/η), plus an annealing bump: weight noise
/// proportional to η costs C points at the peak rate and nothing at the end. Noise: a per-seed offset of sd
/// `sdEnd` (the seed spread of a final train accuracy, ~0.1 pt) plus a per-evaluation term of sd
/// `sdLate`·η(t)/η(0.7L), so `sdLate` is the spread at 0.7L (1.4 pt for the ResNet-8 reference, 0.15 for the MLPs).
/// The final accuracy after a schedule of L epochs is A − B·exp(−L/2τ), so the E/2 → E change is
/// δ = B(x − x²) with x = exp(−E/4τ): an arm is built from the δ it should show.
struct SimulatedArm {
  var asymptote: Double
  var amplitude: Double
  var tau: Double
  var bump: Double
  var sdEnd: Double
  var sdLate: Double
  /// +1: the accuracy rises towards its asymptote; −1: it falls towards it (a held-out score that over-fitting
  /// erodes with more budget).
  var sign: Double = 1

  /// An arm whose noise-free final accuracy changes by `delta` (either sign) from a schedule of E/2 epochs to one
  /// of E.
  init(asymptote: Double, amplitude: Double, delta: Double, epochs: Int, bump: Double, sdEnd: Double, sdLate: Double) {
    precondition(4 * abs(delta) < amplitude, "|δ| must be below B/4")
    self.sign = delta < 0 ? -1 : 1
    let x = (1 - (1 - 4 * abs(delta) / amplitude).squareRoot()) / 2
    self.asymptote = asymptote
    self.amplitude = amplitude
    self.tau = -Double(epochs) / (4 * log(x))
    self.bump = bump
    self.sdEnd = sdEnd
    self.sdLate = sdLate
  }

  static func rate(_ t: Double, _ length: Double) -> Double { 0.5 * (1 + cos(.pi * t / length)) }

  /// The noise-free accuracy at epoch `t` of a schedule of `length` epochs.
  func clean(_ t: Double, length: Double) -> Double {
    let s = t / 2 + length / (2 * .pi) * sin(.pi * t / length)
    return min(100, asymptote - sign * amplitude * exp(-s / tau) - bump * Self.rate(t, length))
  }

  /// One seed's train accuracy at each epoch of `evaluations` in a schedule of `length` epochs.
  func trajectory(_ evaluations: [Int], length: Int, normal: inout NullErrorRateTests.Normal) -> [Double] {
    let offset = sdEnd * normal.next()
    let late = Self.rate(0.7 * Double(length), Double(length))
    return evaluations.map { e in
      let t = Double(e)
      let noise = offset + sdLate * Self.rate(t, Double(length)) / late * normal.next()
      return min(100, clean(t, length: Double(length)) + noise)
    }
  }
}

/// One simulated proxy: a reference arm (rate 0) and the most-regularized arm (rate 0.5), five verdict seeds
/// trained for E epochs with ten evaluations, and a calibration pilot of five other seeds at E/2 and E.
struct SimulatedProxy {
  static let points = Sweep(axes: [.values(key: "regularizer.rate", values: [0, 0.5].map(ConfigValue.double))])
    .points()
  static let seeds = 5

  var epochs: Int
  var arms: [SimulatedArm]
  /// Train − test gap of each arm, in points.
  var gaps: [Double]
  /// Each arm's held-out accuracy after a complete schedule (no annealing bump: it is read at the end only), with
  /// its own E/2 → E change — generalisation can have settled while the train accuracy still climbs, or not.
  var heldOut: [SimulatedArm] = []

  /// Verdict runs: seeds 0…4, E epochs, cosine, train and test accuracy at E/10, 2E/10, …, E.
  func runs(normal: inout NullErrorRateTests.Normal) -> [RunRecord] {
    let evaluations = (1...10).map { Int((Double(epochs) * Double($0) / 10).rounded()) }
    let config: ConfigValue = .map(["train": .map(["schedule": .string("cosine"), "epochs": .int(epochs)])])
    return zip(Self.points, arms).flatMap { point, arm in
      (0..<Self.seeds).map { seed in
        let train = arm.trajectory(evaluations, length: epochs, normal: &normal)
        let test = train.map { $0 - gaps[point.index] + 0.3 * normal.next() }
        let epochMetrics = evaluations.indices.map { i in
          EpochMetrics(
            epoch: evaluations[i], trainLoss: 0.02 + (100 - train[i]) / 40,
            metrics: ["train_accuracy": train[i], "test_accuracy": test[i], "train_loss": 0.01 + (100 - train[i]) / 50])
        }
        return RunRecord(
          key: "\(point.index)-\(seed)", point: point.coordinates, seed: seed, config: config, status: .ok,
          epochs: epochMetrics,
          final: [
            "train_accuracy": train.last!, "test_accuracy": test.last!, "train_loss": 0.01 + (100 - train.last!) / 50,
          ],
          wallSeconds: 0)
      }
    }
  }

  /// The pilot: for each arm, seeds 100…104 each trained to the end of a schedule of E/2 and of E epochs, scored
  /// on the training set and, with `scoredHeldOut`, on held-out images (as `dropbench calibrate` records since
  /// rule v3); without, the record is a v2 one and condition (c) reads the train metric.
  func calibration(normal: inout NullErrorRateTests.Normal, scoredHeldOut: Bool = false) -> CalibrationRecord {
    CalibrationRecord(
      metric: "train_accuracy", heldOutMetric: scoredHeldOut ? "heldout_accuracy" : nil,
      arms: zip(Self.points, arms.indices).map { point, i in
        let budgets = [epochs / 2, epochs].map { length in
          var finals: [Int: Double] = [:]
          var held: [Int: Double] = [:]
          for seed in 100..<100 + Self.seeds {
            finals[seed] = arms[i].trajectory([length], length: length, normal: &normal)[0]
            if scoredHeldOut { held[seed] = heldOut[i].trajectory([length], length: length, normal: &normal)[0] }
          }
          return CalibrationRecord.Budget(epochs: length, finals: finals, heldOut: scoredHeldOut ? held : nil)
        }
        return CalibrationRecord.Arm(point: point.coordinates, budgets: budgets)
      })
  }

  static func change(_ arm: SimulatedArm, epochs: Int) -> Double {
    arm.clean(Double(epochs), length: Double(epochs)) - arm.clean(Double(epochs / 2), length: Double(epochs / 2))
  }

  /// The noise-free E/2 → E change of each arm's final train accuracy.
  var cleanChanges: [Double] { arms.map { Self.change($0, epochs: epochs) } }

  /// The noise-free E/2 → E change of each arm's final held-out accuracy.
  var cleanHeldOutChanges: [Double] { heldOut.map { Self.change($0, epochs: epochs) } }

  /// converged: train and held-out settled; drifting: the train accuracy moves by 2–4 pt and the held-out one by
  /// 2–4 pt too (v2 and v3 must both reject); memorizing: the regularized arm's train accuracy still climbs 1.5–4
  /// pt while its held-out accuracy — what the claim compares — has settled (v3 must accept; v2 rejects);
  /// generalizing: the train accuracy has settled but the held-out accuracy still moves 2–4 pt (v3 must reject;
  /// v2 cannot see it).
  enum Family { case converged, drifting, memorizing, generalizing }

  /// A random proxy of `family`. Converged: both arms end within 0.4 pt between E/2 and E, the reference near
  /// 100%. Drifting: the reference, the regularized arm or both change by 2–4 pt.
  ///
  /// Default schedules have an annealing bump of 2.5–12 pt (a late gain of 0.5–2.5 pt, as the audit measured on
  /// ResNet-8, cnn and dropout-MLP arms) and a spread at 0.7E of 0.15–1.4 pt. `quiet` ones (small nets or rates:
  /// little weight noise to anneal away) have a bump of 0.5–4 pt (late gain 0.1–0.8) and a spread of 0.1–0.3 pt.
  static func draw(_ family: Family, quiet: Bool = false, normal: inout NullErrorRateTests.Normal) -> SimulatedProxy {
    func uniform(_ lo: Double, _ hi: Double) -> Double {
      lo + (hi - lo) * Double(normal.rng.next() >> 11) / 9_007_199_254_740_992
    }
    let epochs = [30, 60, 100][Int(normal.rng.next() % 3)]
    // Which arm (reference, regularized) moves: in train accuracy, and in held-out accuracy.
    let either = [(true, false), (false, true), (true, true)][Int(normal.rng.next() % 3)]
    let (trainMoves, heldOutMoves): ((Bool, Bool), (Bool, Bool)) =
      switch family {
      case .converged: ((false, false), (false, false))
      case .drifting: (either, either)
      case .memorizing: ((false, true), (false, false))
      case .generalizing: ((false, false), either)
      }
    func arm(reference: Bool, drifts: Bool) -> SimulatedArm {
      // A reference above 100 saturates (accuracy is capped), as the MLP references at 100% do; a drifting arm's
      // final accuracy stays under the cap so its change is real.
      let asymptote = reference ? (drifts ? uniform(99, 100) : uniform(99.6, 101)) : uniform(88, 99.5)
      let climb = family == .memorizing ? uniform(1.5, 4) : uniform(2, 4)
      return SimulatedArm(
        asymptote: asymptote, amplitude: uniform(20, 60), delta: drifts ? climb : uniform(0.02, 0.4),
        epochs: epochs, bump: quiet ? uniform(0.5, 4) : uniform(2.5, 12), sdEnd: uniform(0.05, 0.2),
        sdLate: quiet ? uniform(0.1, 0.3) : uniform(0.15, 1.4))
    }
    // Held-out accuracy: read at the end of a schedule only (no bump); its seed spread is a test accuracy's,
    // 0.1–0.3 pt on 10,000 held-out images; a settled arm moves by at most 0.3 pt in either direction.
    func heldOutArm(drifts: Bool) -> SimulatedArm {
      let delta = drifts ? uniform(2, 4) : uniform(0.02, 0.3)
      return SimulatedArm(
        asymptote: uniform(80, 90), amplitude: uniform(20, 40), delta: normal.rng.next() % 4 == 0 ? -delta : delta,
        epochs: epochs, bump: 0, sdEnd: uniform(0.1, 0.3), sdLate: 0)
    }
    return SimulatedProxy(
      epochs: epochs,
      arms: [arm(reference: true, drifts: trainMoves.0), arm(reference: false, drifts: trainMoves.1)],
      gaps: [uniform(5, 15), uniform(3, 12)],
      heldOut: [heldOutArm(drifts: heldOutMoves.0), heldOutArm(drifts: heldOutMoves.1)])
  }
}
