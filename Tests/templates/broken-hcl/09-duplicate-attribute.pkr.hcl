source "alicloud-ecs" "basic" {
  region = "cn-beijing"
  region = "cn-hangzhou"
}

build {
  sources = ["source.alicloud-ecs.basic"]
}
