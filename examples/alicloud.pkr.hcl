# examples/alicloud.json in HCL2: a CentOS image with redis installed.
# Credentials come from ALICLOUD_ACCESS_KEY / ALICLOUD_SECRET_KEY, as the builder reads them.
packer {
  required_plugins {
    alicloud = {
      version = ">= 1.0.0"
      source  = "github.com/hashicorp/alicloud"
    }
  }
}

variable "region" {
  type        = string
  default     = "cn-beijing"
  description = "The region of the build instance and of the image."
}

source "alicloud-ecs" "basic" {
  region               = var.region
  image_name           = "packer_basic"
  source_image         = "centos_7_03_64_20G_alibase_20170818.vhd"
  ssh_username         = "root"
  instance_type        = "ecs.t5-lc1m1.small"
  internet_charge_type = "PayByTraffic"
  io_optimized         = true
}

build {
  sources = ["source.alicloud-ecs.basic"]

  provisioner "shell" {
    inline = [
      "sleep 30",
      "yum install redis.x86_64 -y",
    ]
  }
}
