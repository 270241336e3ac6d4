# The legacy variables block: name = default only, and each name declared once.
variables {
  region = "cn-beijing"
  size   = 40
  disk {
    size = 40
  }
}
variable "size" {
  type = number
}

source "alicloud-ecs" "basic" {
  region        = var.region
  image_name    = "packer_basic_${var.size}"
  source_image  = "centos_7_03_64_20G_alibase_20170818.vhd"
  ssh_username  = "root"
  instance_type = "ecs.t5-lc1m1.small"
}

build {
  sources = ["source.alicloud-ecs.basic"]
}
