# examples/alicloud-tags.json in HCL2: the CentOS image, tagged (image and snapshots).
# Credentials come from ALICLOUD_ACCESS_KEY / ALICLOUD_SECRET_KEY, as the builder reads them.
variable "version" {
  type        = string
  default     = "v1.0.0"
  description = "The version tag of the image."
  validation {
    condition     = can(regex("^v[0-9]+\\.[0-9]+\\.[0-9]+$", var.version))
    error_message = "The version must look like v1.2.3."
  }
}

locals {
  tags = {
    version = var.version
    app     = "web"
  }
}

source "alicloud-ecs" "tagged" {
  region               = "cn-beijing"
  image_name           = "packer_basic"
  source_image         = "centos_7_03_64_20G_alibase_20170818.vhd"
  ssh_username         = "root"
  instance_type        = "ecs.t5-lc1m1.small"
  internet_charge_type = "PayByTraffic"
  io_optimized         = true
  tags                 = local.tags
}

build {
  sources = ["source.alicloud-ecs.tagged"]
}
