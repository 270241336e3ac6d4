import AlicloudKit

/// The local Alibaba Cloud emulator's engine (filled in by the ecs-sim issue).
public enum EcsSim {}
