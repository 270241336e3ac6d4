[powershell]
# User data of the Windows field templates, run once at first boot.
# Alibaba Cloud's public Windows images start with WinRM stopped and no listener. This
# creates the default HTTP listener (5985), allows Basic authentication over it and opens
# the firewall, so the build can log in as Administrator with its winrm_password.
winrm quickconfig -quiet -force
Set-Item -Path WSMan:\localhost\Service\Auth\Basic -Value $true -Force
Set-Item -Path WSMan:\localhost\Service\AllowUnencrypted -Value $true -Force
Set-Item -Path WSMan:\localhost\MaxTimeoutms -Value 1800000 -Force
netsh advfirewall firewall add rule name="WinRM over HTTP for image builds" dir=in action=allow protocol=TCP localport=5985
Set-Service -Name WinRM -StartupType Automatic
Restart-Service -Name WinRM -Force
