[powershell]
# User data for a Windows ECS instance: WinRM is off in Alibaba Cloud's Windows images.
# This turns on an HTTP listener on 5985 with basic authentication, so Packer-style
# tools can log in as Administrator with the instance password (winrm_password).
# Written for this toolkit; passed to the instance with "user_data_file".
$ErrorActionPreference = "Stop"
Set-ExecutionPolicy -ExecutionPolicy Unrestricted -Scope LocalMachine -Force -ErrorAction SilentlyContinue
Enable-PSRemoting -SkipNetworkProfileCheck -Force
Get-ChildItem WSMan:\localhost\Listener | Where-Object { $_.Keys -contains "Transport=HTTP" } | Remove-Item -Recurse
New-Item -Path WSMan:\localhost\Listener -Transport HTTP -Address * -Force | Out-Null
Set-Item -Path WSMan:\localhost\Service\Auth\Basic -Value $true
Set-Item -Path WSMan:\localhost\Service\AllowUnencrypted -Value $true
Set-Item -Path WSMan:\localhost\MaxTimeoutms -Value 1800000
Set-Item -Path WSMan:\localhost\Shell\MaxMemoryPerShellMB -Value 1024
New-NetFirewallRule -Name "WinRM-HTTP-In" -DisplayName "WinRM HTTP (5985)" -Protocol TCP -LocalPort 5985 -Direction Inbound -Action Allow -ErrorAction SilentlyContinue | Out-Null
Set-Service -Name WinRM -StartupType Automatic
Restart-Service -Name WinRM
