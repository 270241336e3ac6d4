source "alicloud-ecs" "basic" {
  region       = "cn-beijing"
  source_image = "centos_7_03_64_20G_alibase_20170818.vhd"
  ssh_username = "root"
}

build {
  sources = ["source.alicloud-ecs.basic"]
}
