import Foundation
import Tensor

/// Renders one 64×64 CT-like slice with a small organ-shaped target and its mask.
///
/// The recipe, in order: a body ellipse over air with smoothed Gaussian texture; a few organ-like blobs brighter or
/// darker than soft tissue; the target, a deformed ellipse brighter than what lies beneath it (only slightly, by
/// default; `SyntheticCT.visibleTarget` makes it the brightest structure); a
/// Gaussian blur standing in for the scanner's point-spread function; then signal-dependent (Poisson-like) noise.
/// Every number comes from the image's own key, so image `i` never depends on how many images are generated.
struct CTPhantom {
  /// Every constant of the recipe. Its `description` is hashed into the dataset's checksum, so any change here
  /// changes run cache keys.
  struct Parameters: CustomStringConvertible, Sendable {
    var side = 64
    var air: Float = 0.03
    var tissue: ClosedRange<Float> = 0.40...0.48
    var bodySemiAxes: (x: ClosedRange<Float>, y: ClosedRange<Float>) = (26...29, 20...25)
    var textureSigma: Float = 2.0
    var textureAmplitude: Float = 0.035
    var blobCount = 4
    var blobSemiAxis: ClosedRange<Float> = 3.5...9
    var blobContrast: ClosedRange<Float> = 0.06...0.16
    var targetRadius: ClosedRange<Float> = 5...9.5
    var targetAspect: ClosedRange<Float> = 0.65...1
    var targetHarmonic: ClosedRange<Float> = 0...0.14
    var targetContrast: ClosedRange<Float> = 0.05...0.10
    var blurSigma: Float = 0.8
    /// Photon count at intensity 1; the noise standard deviation at intensity x is sqrt(x / photons).
    var photons: Float = 150

    var description: String {
      "side=\(side) air=\(air) tissue=\(tissue) body=\(bodySemiAxes.x),\(bodySemiAxes.y) "
        + "texture=\(textureSigma),\(textureAmplitude) blobs=\(blobCount),\(blobSemiAxis),\(blobContrast) "
        + "target=\(targetRadius),\(targetAspect),\(targetHarmonic),\(targetContrast) "
        + "blur=\(blurSigma) photons=\(photons)"
    }
  }

  let parameters: Parameters

  /// Writes the image (intensities in [0, 1]) and the mask ({0, 1}) for `key`; both hold `side * side` values.
  func render(key: RandomKey, image: UnsafeMutablePointer<Float>, mask: UnsafeMutablePointer<Float>) {
    let p = parameters
    let side = p.side
    let n = side * side
    var draws = Draws(values: key.fold(0).uniforms(64))
    var texture = [Float](repeating: 0, count: n)
    var scratch = [Float](repeating: 0, count: n)
    texture.withUnsafeMutableBufferPointer { key.fold(1).fillNormal($0) }
    // Blurred white noise has a standard deviation of Σk² for a separable kernel k; dividing it out makes
    // `textureAmplitude` the texture's actual standard deviation whatever the blur width.
    let textureKernel = Self.gaussianKernel(sigma: p.textureSigma)
    let textureScale = p.textureAmplitude / textureKernel.reduce(0) { $0 + $1 * $1 }
    Self.blur(&texture, scratch: &scratch, side: side, kernel: textureKernel)

    let centre = Float(side - 1) / 2
    let body = Ellipse(
      cx: centre + draws.next(in: -2...2), cy: centre + draws.next(in: -2...2),
      ax: draws.next(in: p.bodySemiAxes.x), ay: draws.next(in: p.bodySemiAxes.y), angle: draws.next(in: -0.2...0.2))
    let tissue = draws.next(in: p.tissue)
    var blobs: [(Ellipse, Float)] = []
    for _ in 0..<p.blobCount {
      let (x, y) = body.point(radius: draws.next(in: 0...0.7), angle: draws.next(in: 0...(2 * .pi)))
      let size = draws.next(in: p.blobSemiAxis)
      let shape = Ellipse(
        cx: x, cy: y, ax: size, ay: size * draws.next(in: 0.5...1), angle: draws.next(in: 0...Float.pi))
      let sign: Float = draws.next(in: 0...1) < 0.5 ? -1 : 1
      blobs.append((shape, sign * draws.next(in: p.blobContrast)))
    }
    let (tx, ty) = body.point(radius: draws.next(in: 0...0.55), angle: draws.next(in: 0...(2 * .pi)))
    let target = DeformedEllipse(
      cx: tx, cy: ty, radius: draws.next(in: p.targetRadius), aspect: draws.next(in: p.targetAspect),
      angle: draws.next(in: 0...Float.pi),
      harmonics: (draws.next(in: p.targetHarmonic), draws.next(in: p.targetHarmonic)),
      phases: (draws.next(in: 0...(2 * .pi)), draws.next(in: 0...(2 * .pi))))
    let targetContrast = draws.next(in: p.targetContrast)

    texture.withUnsafeBufferPointer { noise in
      for y in 0..<side {
        for x in 0..<side {
          let i = y * side + x
          let px = Float(x)
          let py = Float(y)
          // Soft one-pixel edges so shapes are not aliased before the blur.
          let inBody = body.coverage(px, py, edge: 1.0)
          var value = p.air + inBody * (tissue - p.air + textureScale * noise[i])
          for (shape, contrast) in blobs { value += inBody * contrast * shape.coverage(px, py, edge: 1.0) }
          let inTarget = target.contains(px, py)
          if inTarget { value += targetContrast }
          image[i] = value
          mask[i] = inTarget ? 1 : 0
        }
      }
    }

    var rendered = Array(UnsafeBufferPointer(start: image, count: n))
    Self.blur(&rendered, scratch: &scratch, side: side, kernel: Self.gaussianKernel(sigma: p.blurSigma))
    var shot = [Float](repeating: 0, count: n)
    shot.withUnsafeMutableBufferPointer { key.fold(2).fillNormal($0) }
    let inversePhotons = 1 / p.photons
    for i in 0..<n {
      let clean = max(rendered[i], 0)
      image[i] = min(max(clean + (clean * inversePhotons).squareRoot() * shot[i], 0), 1)
    }
  }

  /// A normalised 1-D Gaussian truncated at three standard deviations.
  static func gaussianKernel(sigma: Float) -> [Float] {
    let radius = max(1, Int((3 * sigma).rounded(.up)))
    let weights = (-radius...radius).map { exp(-Float($0 * $0) / (2 * sigma * sigma)) }
    let total = weights.reduce(0, +)
    return weights.map { $0 / total }
  }

  /// Separable convolution of a `side`×`side` image with `kernel`, replicating edge pixels.
  static func blur(_ image: inout [Float], scratch: inout [Float], side: Int, kernel: [Float]) {
    let radius = kernel.count / 2
    image.withUnsafeMutableBufferPointer { img in
      scratch.withUnsafeMutableBufferPointer { tmp in
        kernel.withUnsafeBufferPointer { k in
          for y in 0..<side {
            for x in 0..<side {
              var sum: Float = 0
              for t in -radius...radius { sum += k[t + radius] * img[y * side + min(max(x + t, 0), side - 1)] }
              tmp[y * side + x] = sum
            }
          }
          for y in 0..<side {
            for x in 0..<side {
              var sum: Float = 0
              for t in -radius...radius { sum += k[t + radius] * tmp[min(max(y + t, 0), side - 1) * side + x] }
              img[y * side + x] = sum
            }
          }
        }
      }
    }
  }
}

/// Uniform draws consumed in a fixed order, so each shape parameter has a fixed index in the image's stream.
private struct Draws {
  var values: [Float]
  var next = 0

  mutating func next(in range: ClosedRange<Float>) -> Float {
    defer { next += 1 }
    return range.lowerBound + values[next] * (range.upperBound - range.lowerBound)
  }
}

/// A rotated ellipse.
private struct Ellipse {
  let cx, cy, ax, ay: Float
  // Kept rather than recomputed: coverage is evaluated for every pixel of every image.
  let c, s: Float

  init(cx: Float, cy: Float, ax: Float, ay: Float, angle: Float) {
    (self.cx, self.cy, self.ax, self.ay) = (cx, cy, ax, ay)
    (c, s) = (cos(angle), sin(angle))
  }

  /// Normalised radius of (x, y): below 1 inside.
  func radius(_ x: Float, _ y: Float) -> Float {
    let dx = x - cx
    let dy = y - cy
    let u = (c * dx + s * dy) / ax
    let v = (-s * dx + c * dy) / ay
    return (u * u + v * v).squareRoot()
  }

  /// 1 well inside, 0 well outside, linear across an edge about `edge` pixels wide.
  func coverage(_ x: Float, _ y: Float, edge: Float) -> Float {
    let dx = x - cx
    let dy = y - cy
    let reach = max(ax, ay) + edge
    if dx * dx + dy * dy > reach * reach { return 0 }
    let distance = (1 - radius(x, y)) * min(ax, ay)
    return min(max(distance / edge + 0.5, 0), 1)
  }

  /// The point at normalised `radius` and polar `angle` in the ellipse's own frame.
  func point(radius r: Float, angle theta: Float) -> (Float, Float) {
    let u = r * ax * cos(theta)
    let v = r * ay * sin(theta)
    return (cx + c * u - s * v, cy + s * u + c * v)
  }
}

/// An ellipse whose boundary radius is modulated by second and third harmonics: smooth, organ-like, not convex.
private struct DeformedEllipse {
  let cx, cy, radius, aspect: Float
  let c, s: Float
  let harmonics: (Float, Float)
  let phases: (Float, Float)

  init(
    cx: Float, cy: Float, radius: Float, aspect: Float, angle: Float, harmonics: (Float, Float),
    phases: (Float, Float)
  ) {
    (self.cx, self.cy, self.radius, self.aspect) = (cx, cy, radius, aspect)
    (c, s) = (cos(angle), sin(angle))
    self.harmonics = harmonics
    self.phases = phases
  }

  func contains(_ x: Float, _ y: Float) -> Bool {
    let dx = x - cx
    let dy = y - cy
    let u = c * dx + s * dy
    let v = (-s * dx + c * dy) / aspect
    // Most pixels are far outside; rejecting them before atan2 and cos keeps rendering cheap.
    let reach = radius * (1 + harmonics.0 + harmonics.1)
    if u * u + v * v >= reach * reach { return false }
    let phi = atan2(v, u)
    let boundary =
      radius * (1 + harmonics.0 * cos(2 * phi + phases.0) + harmonics.1 * cos(3 * phi + phases.1))
    return u * u + v * v < boundary * boundary
  }
}
