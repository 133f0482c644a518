import Tensor

/// Cuts `[N, H, W, C]` images into non-overlapping `patch × patch` tokens: `[N·T, patch·patch·C]` rows, sample n's
/// T = (H/patch)(W/patch) tokens in raster order at rows n·T …, each token's values in (row, column, channel) order.
public final class PatchTokens: Layer {
  public let patch: Int
  private var inputShape: [Int] = []

  public init(patch: Int) { self.patch = patch }

  public func forward(_ x: Tensor, _ context: StepContext) -> Tensor {
    let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    precondition(h % patch == 0 && w % patch == 0, "PatchTokens: \(h)×\(w) is not a multiple of \(patch)")
    inputShape = x.shape
    let (rowsOfPatches, columnsOfPatches) = (h / patch, w / patch)
    let length = patch * patch * c
    return Tensor(shape: [n * rowsOfPatches * columnsOfPatches, length]) { out in
      x.withUnsafeBufferPointer { src in
        Self.walk(n, h, w, c, patch) { token, offset, pixel in out[token * length + offset] = src[pixel] }
      }
    }
  }

  /// An empty gradient (the embedding after it skips its input gradient) passes through as is.
  public func backward(_ dy: Tensor) -> Tensor {
    guard dy.count > 0 else { return dy }
    let (n, h, w, c) = (inputShape[0], inputShape[1], inputShape[2], inputShape[3])
    let length = patch * patch * c
    return Tensor(shape: inputShape) { out in
      dy.withUnsafeBufferPointer { g in
        Self.walk(n, h, w, c, patch) { token, offset, pixel in out[pixel] = g[token * length + offset] }
      }
    }
  }

  /// Calls `body(token, offset in token, pixel index)` for every value: the one map both directions share.
  private static func walk(
    _ n: Int, _ h: Int, _ w: Int, _ c: Int, _ patch: Int, _ body: (Int, Int, Int) -> Void
  ) {
    let (rowsOfPatches, columnsOfPatches) = (h / patch, w / patch)
    for sample in 0..<n {
      for pr in 0..<rowsOfPatches {
        for pc in 0..<columnsOfPatches {
          let token = (sample * rowsOfPatches + pr) * columnsOfPatches + pc
          var offset = 0
          for i in 0..<patch {
            for j in 0..<patch {
              let base = ((sample * h + pr * patch + i) * w + pc * patch + j) * c
              for ch in 0..<c {
                body(token, offset, base + ch)
                offset += 1
              }
            }
          }
        }
      }
    }
  }
}

/// `[N·T, D]` token rows back to `[N, T·D]` samples (and the reverse in the backward): a reshape.
public final class JoinTokens: Layer {
  public let tokens: Int

  public init(tokens: Int) { self.tokens = tokens }

  public func forward(_ x: Tensor, _ context: StepContext) -> Tensor {
    x.reshaped([x.rows / tokens, tokens * x.rowLength])
  }

  public func backward(_ dy: Tensor) -> Tensor { dy.reshaped([dy.rows * tokens, dy.rowLength / tokens]) }
}

/// Tokens sent to another virtual device, counted over every training forward of a model's mixture-of-experts
/// layers (shared by them). Reported at each evaluation as `cross_device_tokens`: of all token passes through the
/// layers in training so far (tokens × layers × steps, the same count in every arm of a spec), the percentage whose
/// expert lived on another device than the token. A skipped layer (Gate-Expert-Drop) or a local step (Gate-Drop)
/// sends nothing, so the figure compares communication volume across arms directly.
public final class TokenTraffic: TrainingHook {
  public private(set) var tokens = 0
  public private(set) var crossed = 0

  public init() {}

  func count(tokens: Int, crossed: Int) {
    self.tokens += tokens
    self.crossed += crossed
  }

  public var reportedMetrics: [String: Double] {
    tokens == 0 ? [:] : ["cross_device_tokens": 100 * Double(crossed) / Double(tokens)]
  }
}

/// A mixture-of-experts sub-layer with a residual (Switch Transformer style): y_t = x_t + g_t · E_{e(t)}(x_t) for
/// each token row x_t of `[N·T, D]`.
///
/// - Router: a linear map to `experts` logits, softmax p_t; top-1: e(t) = argmax p_t (lowest index on a tie),
///   g_t = p_t[e(t)]. No capacity limit: no token is dropped for an overfull expert.
/// - Experts: Linear(D → hidden) – ReLU – Linear(hidden → D), each applied to the tokens routed to it.
/// - Load balancing (Fedus et al. 2021): α · E · Σ_e f_e · P_e, with f_e the fraction of the step's tokens sent to
///   expert e and P_e the mean router probability of e; added to the loss (`addLoss` reports its value) and its
///   gradient to the router in `backward` (f_e is a count, constant).
/// - Virtual devices: expert e lives on device e; the batch is split over the E devices in contiguous shards
///   (sample n of N on device ⌊n·E/N⌋, all of its tokens with it), as expert-parallel training places it. A routed
///   token whose expert is on another device crosses the all-to-all exchange; `traffic` counts them in training.
/// - Routing policy (the `routing` site): `.route` as above; `.local` sends every token to its own device's expert
///   with weight 1 (the router is not run: no gate, no balancing term, nothing crosses); `.skip` returns the input
///   (the residual alone).
public final class MixtureOfExperts: Layer, TrainingHook {
  public let router: Linear
  public let experts: [Sequential]
  /// Tokens per sample (T).
  public let tokens: Int
  public let balanceWeight: Float
  public var policy: RoutingPolicy?
  public let traffic: TokenTraffic

  private var decision = RoutingDecision.route
  /// Per token row of the last training forward: its expert and gate value.
  private var assignment: [Int] = []
  private var gate: [Float] = []
  private var probabilities = Tensor(shape: [0])
  /// Per expert: the rows it computed and its (unweighted) outputs.
  private var members: [[Int]] = []
  /// Per expert: the share f_e of the last training forward's token rows it received.
  private var fractions: [Float] { members.map { Float($0.count) / Float(max(1, assignment.count)) } }
  private var outputs: [Tensor] = []
  private var balanceLoss = 0.0

  public init(
    dim: Int, hidden: Int, experts count: Int, tokens: Int, balanceWeight: Float = 0.01, key: RandomKey,
    traffic: TokenTraffic = TokenTraffic()
  ) {
    router = Linear(inFeatures: dim, outFeatures: count, key: key.fold(0), gain: 1)
    experts = (0..<count).map { e in
      Sequential([
        Linear(inFeatures: dim, outFeatures: hidden, key: key.fold(1 + 2 * e)), ReLU(),
        Linear(inFeatures: hidden, outFeatures: dim, key: key.fold(2 + 2 * e), gain: 1),
      ])
    }
    self.tokens = tokens
    self.balanceWeight = balanceWeight
    self.traffic = traffic
  }

  /// The virtual device of token row `row` in a batch of `rows` token rows.
  public func device(ofRow row: Int, rows: Int) -> Int {
    let samples = rows / tokens
    return (row / tokens) * experts.count / samples
  }

  public func forward(_ x: Tensor, _ context: StepContext) -> Tensor {
    let rows = x.rows
    let dim = x.rowLength
    let count = experts.count
    let decision = policy?.decide(context) ?? .route
    let training = context.mode == .train
    if training {
      self.decision = decision
      balanceLoss = 0
    }
    if decision == .skip {
      if training { traffic.count(tokens: rows, crossed: 0) }
      return x
    }
    var assignment = [Int](repeating: 0, count: rows)
    var gate = [Float](repeating: 1, count: rows)
    var probabilities = Tensor(shape: [0])
    if decision == .route {
      probabilities = router.forward(x, context)
      probabilities.withUnsafeMutableBufferPointer { p in
        for r in 0..<rows {
          let row = UnsafeMutableBufferPointer(rebasing: p[(r * count)..<((r + 1) * count)])
          let (_, sum) = Losses.exponentials(UnsafePointer(row.baseAddress!), count, into: row.baseAddress!)
          var best = 0
          for e in 0..<count {
            row[e] /= sum
            if row[e] > row[best] { best = e }
          }
          assignment[r] = best
          gate[r] = row[best]
        }
      }
    } else {
      for r in 0..<rows { assignment[r] = device(ofRow: r, rows: rows) }
    }
    var members = [[Int]](repeating: [], count: count)
    for r in 0..<rows { members[assignment[r]].append(r) }
    var y = x
    var outputs = [Tensor](repeating: Tensor(shape: [0]), count: count)
    y.withUnsafeMutableBufferPointer { out in
      for e in 0..<count where !members[e].isEmpty {
        let result = experts[e].forward(x.gather(rows: members[e]), context)
        result.withUnsafeBufferPointer { o in
          for (i, r) in members[e].enumerated() {
            for j in 0..<dim { out[r * dim + j] += gate[r] * o[i * dim + j] }
          }
        }
        outputs[e] = result
      }
    }
    if training {
      var crossed = 0
      for r in 0..<rows where assignment[r] != device(ofRow: r, rows: rows) { crossed += 1 }
      traffic.count(tokens: rows, crossed: crossed)
      self.assignment = assignment
      self.gate = gate
      self.members = members
      self.outputs = outputs
      self.probabilities = probabilities
      if decision == .route {
        let fractions = self.fractions
        var loss = 0.0
        probabilities.withUnsafeBufferPointer { p in
          for e in 0..<count {
            var mean = 0.0
            for r in 0..<rows { mean += Double(p[r * count + e]) }
            loss += Double(fractions[e]) * mean / Double(rows)
          }
        }
        balanceLoss = Double(balanceWeight) * Double(count) * loss
      }
    }
    return y
  }

  public func backward(_ dy: Tensor) -> Tensor {
    guard decision != .skip else { return dy }
    let rows = dy.rows
    let dim = dy.rowLength
    let count = experts.count
    var dx = dy
    var dGate = [Float](repeating: 0, count: rows)
    dy.withUnsafeBufferPointer { g in
      for e in 0..<count where !members[e].isEmpty {
        let rowsOfE = members[e]
        var weighted = Tensor(shape: [rowsOfE.count, dim])
        weighted.withUnsafeMutableBufferPointer { w in
          outputs[e].withUnsafeBufferPointer { o in
            for (i, r) in rowsOfE.enumerated() {
              var dot: Float = 0
              for j in 0..<dim {
                w[i * dim + j] = gate[r] * g[r * dim + j]
                dot += g[r * dim + j] * o[i * dim + j]
              }
              dGate[r] = dot
            }
          }
        }
        let dInput = experts[e].backward(weighted)
        dx.withUnsafeMutableBufferPointer { out in
          dInput.withUnsafeBufferPointer { d in
            for (i, r) in rowsOfE.enumerated() { for j in 0..<dim { out[r * dim + j] += d[i * dim + j] } }
          }
        }
      }
    }
    guard decision == .route else { return dx }
    // Router: ∂L/∂p[r, e] = [e = e(r)]·∂L/∂g_r + α·E·f_e/rows (balancing term), then the softmax's Jacobian.
    let fractions = self.fractions
    let balance = (0..<count).map { balanceWeight * Float(count) * fractions[$0] / Float(rows) }
    let dLogits = Tensor(shape: [rows, count]) { out in
      probabilities.withUnsafeBufferPointer { p in
        for r in 0..<rows {
          var dp = balance
          dp[assignment[r]] += dGate[r]
          var inner: Float = 0
          for e in 0..<count { inner += p[r * count + e] * dp[e] }
          for e in 0..<count { out[r * count + e] = p[r * count + e] * (dp[e] - inner) }
        }
      }
    }
    let dRouter = router.backward(dLogits)
    dx.withUnsafeMutableBufferPointer { out in dRouter.withUnsafeBufferPointer { Elementwise.axpy(1, $0, out) } }
    return dx
  }

  /// The load-balancing term of the last training forward (0 when the router did not run).
  public func addLoss(_ context: StepContext) -> Double { balanceLoss }

  public var parameters: [Parameter] { router.parameters + experts.flatMap(\.parameters) }
}
