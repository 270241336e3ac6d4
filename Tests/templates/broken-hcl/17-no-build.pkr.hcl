source "alicloud-ecs" "basic" {
  region        = "cn-beijing"
  image_name    = "packer_basic"
  source_image  = "centos_7_03_64_20G_alibase_20170818.vhd"
  ssh_username  = "root"
  instance_type = "ecs.t5-lc1m1.small"
}
