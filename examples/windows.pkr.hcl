# examples/windows.json in HCL2: Windows Server 2008 R2 over WinRM, with a powershell step.
# Run from the repository root: user_data_file is relative to the current directory.
variable "winrm_password" {
  type        = string
  default     = "Test1234"
  sensitive   = true
  description = "The Administrator password WinRM logs in with."
}

source "alicloud-ecs" "windows" {
  region               = "cn-beijing"
  image_name           = "packer_test"
  source_image         = "win2008r2_64_ent_sp1_zh-cn_40G_alibase_20181220.vhd"
  instance_type        = "ecs.n1.tiny"
  io_optimized         = true
  internet_charge_type = "PayByTraffic"
  image_force_delete   = true

  communicator   = "winrm"
  winrm_port     = 5985
  winrm_username = "Administrator"
  winrm_password = var.winrm_password
  user_data_file = "examples/alicloud/basic/winrm_enable_userdata.ps1"
}

build {
  sources = ["source.alicloud-ecs.windows"]

  provisioner "powershell" {
    inline = ["dir c:\\"]
  }
}
