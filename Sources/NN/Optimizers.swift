import Tensor

/// Training hyper-parameters an optimiser needs at each step.
public protocol Optimizer: AnyObject {
  /// Applies one update with learning rate `lr` to every parameter, from its accumulated gradient.
  func step(_ parameters: [Parameter], lr: Float)
}

/// SGD with momentum, optional Nesterov, and L2 weight decay added to the gradient (PyTorch's formulation:
/// v ← μv + g + λw; w ← w − lr·v, or w − lr·(g + λw + μv) with Nesterov).
public final class SGD: Optimizer {
  public let momentum: Float
  public let nesterov: Bool
  public let weightDecay: Float
  private var velocity: [ObjectIdentifier: [Float]] = [:]

  public init(momentum: Float = 0.9, nesterov: Bool = false, weightDecay: Float = 0) {
    self.momentum = momentum
    self.nesterov = nesterov
    self.weightDecay = weightDecay
  }

  public func step(_ parameters: [Parameter], lr: Float) {
    for p in parameters {
      let id = ObjectIdentifier(p)
      var v = velocity[id] ?? [Float](repeating: 0, count: p.value.count)
      velocity[id] = nil
      p.grad.withUnsafeMutableBufferPointer { g in
        p.value.withUnsafeMutableBufferPointer { w in
          if weightDecay != 0, p.decays { Elementwise.axpy(weightDecay, UnsafeBufferPointer(w), g) }
          v.withUnsafeMutableBufferPointer { vel in
            if momentum == 0 {
              Elementwise.axpy(-lr, UnsafeBufferPointer(g), w)
              return
            }
            Elementwise.scale(momentum, vel)
            Elementwise.axpy(1, UnsafeBufferPointer(g), vel)
            if nesterov {
              Elementwise.axpy(-lr, UnsafeBufferPointer(g), w)
              Elementwise.axpy(-lr * momentum, UnsafeBufferPointer(vel), w)
            } else {
              Elementwise.axpy(-lr, UnsafeBufferPointer(vel), w)
            }
          }
        }
      }
      velocity[id] = v
    }
  }
}

/// Adam (Kingma & Ba 2015) with bias correction and L2 weight decay added to the gradient, as PyTorch's `Adam`.
public final class Adam: Optimizer {
  public let beta1: Float
  public let beta2: Float
  public let epsilon: Float
  public let weightDecay: Float
  private var moments: [ObjectIdentifier: ([Float], [Float])] = [:]
  private var t = 0

  public init(beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0) {
    self.beta1 = beta1
    self.beta2 = beta2
    self.epsilon = epsilon
    self.weightDecay = weightDecay
  }

  public func step(_ parameters: [Parameter], lr: Float) {
    t += 1
    let c1 = 1 - Float(Double(beta1).power(t))
    let c2 = 1 - Float(Double(beta2).power(t))
    for p in parameters {
      let id = ObjectIdentifier(p)
      var (m, v) =
        moments[id] ?? ([Float](repeating: 0, count: p.value.count), [Float](repeating: 0, count: p.value.count))
      moments[id] = nil
      let decay = p.decays ? weightDecay : 0
      p.grad.withUnsafeBufferPointer { g in
        p.value.withUnsafeMutableBufferPointer { w in
          for i in 0..<w.count {
            let gi = g[i] + decay * w[i]
            m[i] = beta1 * m[i] + (1 - beta1) * gi
            v[i] = beta2 * v[i] + (1 - beta2) * gi * gi
            w[i] -= lr * (m[i] / c1) / ((v[i] / c2).squareRoot() + epsilon)
          }
        }
      }
      moments[id] = (m, v)
    }
  }
}

extension Double {
  func power(_ n: Int) -> Double {
    var r = 1.0
    for _ in 0..<n { r *= self }
    return r
  }
}

/// Max-norm constraint (Srivastava et al. 2014, §5.1): after each update, every unit's incoming weight vector is
/// rescaled to L2 norm at most `c`.
public enum MaxNorm {
  public static func apply(_ parameters: [Parameter], c: Float) {
    for p in parameters where p.isUnitWeights {
      let units = p.value.shape[0]
      let fanIn = p.value.count / units
      p.value.withUnsafeMutableBufferPointer { w in
        for u in 0..<units {
          let row = UnsafeMutableBufferPointer(rebasing: w[(u * fanIn)..<((u + 1) * fanIn)])
          var sq: Float = 0
          for x in row { sq += x * x }
          let norm = sq.squareRoot()
          if norm > c { Elementwise.scale(c / norm, row) }
        }
      }
    }
  }
}

/// Learning rate as a function of training progress.
public enum LearningRateSchedule: Sendable, Equatable {
  case constant
  /// Multiply by `gamma` at each milestone (fractions of total steps).
  case step(milestones: [Double], gamma: Double)
  /// Cosine decay from the base rate to 0 over training (Loshchilov & Hutter 2017, without restarts).
  case cosine

  /// The rate at `step` of `totalSteps`, with linear warm-up over the first `warmupSteps`.
  public func rate(base: Double, step: Int, totalSteps: Int, warmupSteps: Int = 0) -> Double {
    if step < warmupSteps { return base * Double(step + 1) / Double(warmupSteps) }
    let progress = totalSteps > 0 ? Double(step) / Double(totalSteps) : 0
    switch self {
    case .constant:
      return base
    case .step(let milestones, let gamma):
      return milestones.filter { progress >= $0 }.reduce(base) { r, _ in r * gamma }
    case .cosine:
      let t = Double(step - warmupSteps) / Double(max(1, totalSteps - warmupSteps))
      return base * 0.5 * (1 + cosineOf(Double.pi * t))
    }
  }
}
