import Tensor

/// The tiny U-Net of `UNet` for binary segmentation (one logit channel); `widths` are its three level widths.
public struct UNetModel: ModelDefinition {
  public let name = "unet-tiny"
  public let summary = "two-level U-Net for binary segmentation"
  public let task = ModelTask.segmentation
  public let defaultWidths: [Int]? = [8, 16, 32]
  public let takesBlocks = false
  public let defaultSites = ["bottleneck"]

  public init() {}

  public func build(_ r: ModelRequest, _ sites: SiteRecorder) throws -> Layer {
    try UNet(
      inChannels: r.inputShape[2], widths: r.widths ?? defaultWidths!, key: r.key, sites: sites,
      height: r.inputShape[0], width: r.inputShape[1])
  }
}
