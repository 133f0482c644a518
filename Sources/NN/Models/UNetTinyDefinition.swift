import Tensor

/// The tiny U-Net of `UNet` for binary segmentation (one logit channel); `widths` are its three level widths.
public struct UNetTinyDefinition: ModelDefinition {
  public let name = "unet-tiny"
  public let summary = "two-level U-Net for binary segmentation"
  public let task = TaskKind.segmentation
  public let parameters: [ParameterDescription] = [
    .widths([8, 16, 32], doc: "layer widths (mlp hidden layers, resnet stages, unet levels)")
  ]
  public let defaultSites = ["bottleneck"]
  public let stages: Int? = 3

  public init() {}

  public func weightCount(inputShape: [Int], classes: Int, parameters: [String: ConfigValue]) -> Double {
    convolutionWeightCount(parameters)
  }

  /// Fitted to the committed default-scale runs on the project's 2-core machine (2026-12-03, median).
  public func trainingRate(inputShape: [Int], parameters: [String: ConfigValue]) -> Double { 250 }

  public func build(_ r: ModelRequest, _ sites: SiteRecorder) throws -> Layer {
    try UNet(
      inChannels: r.inputShape[2], widths: r.parameters.ints("widths"), key: r.key, sites: sites,
      height: r.inputShape[0], width: r.inputShape[1])
  }
}
