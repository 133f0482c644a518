import Tensor

/// Images stored as unsigned bytes (0–255), as decoded from IDX or CSV, before conversion to `Tensor`.
struct ByteImages {
  /// Holds the pixels of image `i` at `bytes[offset + i * pixelsPerImage ..< offset + (i + 1) * pixelsPerImage]`.
  var bytes: [UInt8]
  var offset: Int
  var count: Int
  /// `[H, W, C]`.
  var shape: [Int]

  var pixelsPerImage: Int { shape.reduce(1, *) }

  /// Mean and standard deviation of all pixels scaled to [0, 1], from a 256-bin histogram: exact, and a single
  /// pass of integer increments over the whole split.
  func normalization() -> Normalization {
    var histogram = [Int](repeating: 0, count: 256)
    let total = count * pixelsPerImage
    bytes.withUnsafeBufferPointer { src in
      histogram.withUnsafeMutableBufferPointer { h in
        let p = src.baseAddress! + offset
        for i in 0..<total { h[Int(p[i])] += 1 }
      }
    }
    var sum = 0.0
    var sumSquares = 0.0
    for (value, n) in histogram.enumerated() {
      let x = Double(value) / 255
      sum += Double(n) * x
      sumSquares += Double(n) * x * x
    }
    let mean = sum / Double(max(total, 1))
    let variance = max(sumSquares / Double(max(total, 1)) - mean * mean, 0)
    // A constant split would divide by zero; 1 leaves it merely centred.
    let std = variance > 0 ? variance.squareRoot() : 1
    return Normalization(mean: Float(mean), std: Float(std))
  }

  /// The images at `indices` (all, in order, when `nil`) as a normalised `[N, H, W, C]` tensor.
  func tensor(rows indices: [Int]?, normalization: Normalization) -> Tensor {
    // Every byte maps to one of 256 floats, so conversion and normalisation are one table lookup per pixel.
    let table = (0..<256).map { (Float($0) / 255 - normalization.mean) / normalization.std }
    let n = pixelsPerImage
    let rows = indices?.count ?? count
    return Tensor(shape: [rows] + shape) { out in
      bytes.withUnsafeBufferPointer { src in
        table.withUnsafeBufferPointer { t in
          for j in 0..<rows {
            let image = src.baseAddress! + offset + (indices?[j] ?? j) * n
            let destination = out.baseAddress! + j * n
            for k in 0..<n { destination[k] = t[Int(image[k])] }
          }
        }
      }
    }
  }
}

/// Deterministic subsets of a split.
enum Subset {
  /// Which split a subset is drawn from; keys the random stream so train and test subsets are independent.
  enum Role: Int {
    case train = 0
    case test = 1
    /// Drawn from what the training subset leaves of the training pool.
    case heldOut = 2

    var name: String {
      switch self {
      case .train: "training"
      case .test: "test"
      case .heldOut: "held-out"
      }
    }
  }

  /// Validates a requested size against what is available; `nil` means the whole split.
  static func resolve(_ requested: Int?, available: Int, role: Role, dataset: String) throws -> Int? {
    guard let requested else { return nil }
    guard requested > 0 else {
      throw DataError.invalidOption(
        dataset: dataset, option: role == .train ? "train size" : "test size",
        reason: "\(requested) must be at least 1 (omit it for the whole split)")
    }
    guard requested <= available else {
      throw DataError.subsetTooLarge(dataset: dataset, split: role.name, requested: requested, maximum: available)
    }
    return requested
  }

  /// `size` indices of `labels`, stratified by class, in increasing order.
  ///
  /// Each class gets its share of `size` by largest remainder (ties to the lower class), and its members are taken
  /// from a per-class permutation keyed by (`seed`, role, class). The choice depends only on those and the labels,
  /// and a larger subset contains a smaller one whenever every class's share grows.
  static func stratified(labels: [Int32], classes: Int, size: Int, seed: UInt64, role: Role) -> [Int] {
    var members = [[Int]](repeating: [], count: classes)
    for (i, label) in labels.enumerated() { members[Int(label)].append(i) }
    let total = labels.count
    var quota = members.map { size * $0.count / total }
    let remainders = members.indices.map { (class: $0, remainder: size * members[$0].count % total) }
    let shortfall = size - quota.reduce(0, +)
    let ranked = remainders.sorted { $0.remainder != $1.remainder ? $0.remainder > $1.remainder : $0.class < $1.class }
    for entry in ranked.prefix(shortfall) { quota[entry.class] += 1 }

    let key = RandomKey(seed: seed).fold(RandomPurpose.dataset).fold(role.rawValue)
    var chosen: [Int] = []
    chosen.reserveCapacity(size)
    for c in 0..<classes where quota[c] > 0 {
      let order = key.fold(c).permutation(members[c].count)
      for k in 0..<quota[c] { chosen.append(members[c][order[k]]) }
    }
    return chosen.sorted()
  }

  /// Up to `size` indices of the training pool that `training` (the training subset's rows; nil for the whole
  /// pool) leaves out, stratified by class over what is left, in increasing order.
  static func heldOut(labels: [Int32], classes: Int, training: [Int]?, size: Int, seed: UInt64) -> [Int] {
    guard let training else { return [] }
    let used = Set(training)
    let rest = labels.indices.filter { !used.contains($0) }
    guard !rest.isEmpty, size > 0 else { return [] }
    let picked = stratified(
      labels: rest.map { labels[$0] }, classes: classes, size: min(size, rest.count), seed: seed, role: .heldOut)
    return picked.map { rest[$0] }
  }
}
