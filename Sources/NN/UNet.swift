import Tensor

/// A small U-Net (Ronneberger et al. 2015) with two down/up levels for `[N, H, W, C]` images (H, W divisible
/// by 4) and one output channel of logits. Each level is two conv3×3–BN–ReLU; down = 2×2 max-pool; up = 2×
/// nearest upsampling + conv3×3 (the learned up-convolution) + channel concat with the encoder's skip.
/// Regularizer sites: `input`, `enc1`, `enc2`, `bottleneck`, `dec2`, `dec1` (after each stage) and `<stage>_mid`
/// (between a stage's two convolutions). Each BN–ReLU pair is one fused
/// `BatchNorm(relu: true)` (exactly the same values and gradients).
public final class UNet: Layer {
  let enc1: Sequential
  let enc2: Sequential
  let bottleneck: Sequential
  let up2: Sequential
  let dec2: Sequential
  let up1: Sequential
  let dec1: Sequential
  let head: Conv2d
  let pool1 = MaxPool2d()
  let pool2 = MaxPool2d()
  let widths: [Int]

  public init(inChannels: Int, widths: [Int], key: RandomKey, sites: SiteRecorder, height: Int, width: Int) throws {
    precondition(widths.count == 3)
    self.widths = widths
    let (w1, w2, w3) = (widths[0], widths[1], widths[2])
    func double(_ cin: Int, _ cout: Int, _ k: RandomKey, mid: [Layer]) -> [Layer] {
      [
        Conv2d(inChannels: cin, outChannels: cout, kernel: 3, padding: 1, bias: false, key: k.fold(0)),
        BatchNorm(channels: cout, relu: true),
      ] + mid + [
        Conv2d(inChannels: cout, outChannels: cout, kernel: 3, padding: 1, bias: false, key: k.fold(1)),
        BatchNorm(channels: cout, relu: true),
      ]
    }
    func upConv(_ cin: Int, _ cout: Int, _ k: RandomKey) -> Sequential {
      Sequential([
        Upsample2x(), Conv2d(inChannels: cin, outChannels: cout, kernel: 3, padding: 1, bias: false, key: k),
        BatchNorm(channels: cout, relu: true),
      ])
    }
    func site(_ name: String, _ stream: Int, _ shape: [Int]) throws -> [Layer] {
      try sites.activation(name, shape: shape, legacyStream: stream)
    }
    let (h, w) = (height, width)
    let inputSite = try site("input", 0, [h, w, inChannels])
    let enc1Site = try site("enc1", 1, [h, w, w1])
    let enc2Site = try site("enc2", 2, [h / 2, w / 2, w2])
    let bottleneckSite = try site("bottleneck", 3, [h / 4, w / 4, w3])
    let dec2Site = try site("dec2", 4, [h / 2, w / 2, w2])
    let dec1Site = try site("dec1", 5, [h, w, w1])
    // Between the two convolutions of each stage (Heuristic Dropout's placement); streams after the others'.
    let enc1Mid = try site("enc1_mid", 6, [h, w, w1])
    let enc2Mid = try site("enc2_mid", 7, [h / 2, w / 2, w2])
    let bottleneckMid = try site("bottleneck_mid", 8, [h / 4, w / 4, w3])
    let dec2Mid = try site("dec2_mid", 9, [h / 2, w / 2, w2])
    let dec1Mid = try site("dec1_mid", 10, [h, w, w1])
    enc1 = Sequential(inputSite + double(inChannels, w1, key.fold(1), mid: enc1Mid) + enc1Site)
    enc2 = Sequential(double(w1, w2, key.fold(2), mid: enc2Mid) + enc2Site)
    bottleneck = Sequential(double(w2, w3, key.fold(3), mid: bottleneckMid) + bottleneckSite)
    up2 = upConv(w3, w2, key.fold(4))
    dec2 = Sequential(double(2 * w2, w2, key.fold(5), mid: dec2Mid) + dec2Site)
    up1 = upConv(w2, w1, key.fold(6))
    dec1 = Sequential(double(2 * w1, w1, key.fold(7), mid: dec1Mid) + dec1Site)
    head = Conv2d(inChannels: w1, outChannels: 1, kernel: 1, key: key.fold(8))
  }

  public func forward(_ x: Tensor, _ context: StepContext) -> Tensor {
    let s1 = enc1.forward(x, context)
    let s2 = enc2.forward(pool1.forward(s1, context), context)
    let b = bottleneck.forward(pool2.forward(s2, context), context)
    let d2 = dec2.forward(ChannelConcat.concat(s2, up2.forward(b, context)), context)
    let d1 = dec1.forward(ChannelConcat.concat(s1, up1.forward(d2, context)), context)
    return head.forward(d1, context)
  }

  public func backward(_ dy: Tensor) -> Tensor {
    let gd1 = dec1.backward(head.backward(dy))
    let (gs1a, gu1) = ChannelConcat.split(gd1, first: widths[0])
    let gd2 = dec2.backward(up1.backward(gu1))
    let (gs2a, gu2) = ChannelConcat.split(gd2, first: widths[1])
    var gs2 = pool2.backward(bottleneck.backward(up2.backward(gu2)))
    gs2.withUnsafeMutableBufferPointer { g in gs2a.withUnsafeBufferPointer { Elementwise.axpy(1, $0, g) } }
    var gs1 = pool1.backward(enc2.backward(gs2))
    gs1.withUnsafeMutableBufferPointer { g in gs1a.withUnsafeBufferPointer { Elementwise.axpy(1, $0, g) } }
    return enc1.backward(gs1)
  }

  public var parameters: [Parameter] {
    [enc1, enc2, bottleneck, up2, dec2, up1, dec1].flatMap(\.parameters) + head.parameters
  }
}
