@echo off
rem Written by p2vkit convert.  Runs once at the first boot on KVM (service
rem p2vkit-firstboot, or at the first logon from RunOnce), then removes
rem the service.  What it did is in %SystemDrive%\p2vkit\firstboot.log.
setlocal enabledelayedexpansion
set DIR=%SystemDrive%\p2vkit
if exist "%DIR%\firstboot.done" exit /b 0
set LOG=%DIR%\firstboot.log
echo %DATE% %TIME% first boot >> "%LOG%"
rem Adapter {0F1E2D3C-4B5A-4978-8695-A4B3C2D1E0F9}
call :adapter 1
if not defined IFNAME echo no adapter 1 for {0F1E2D3C-4B5A-4978-8695-A4B3C2D1E0F9} >> "%LOG%"
if defined IFNAME netsh interface ip set address name="!IFNAME!" source=static addr=10.20.0.15 mask=255.255.0.0 gateway=10.20.0.1 gwmetric=1 >> "%LOG%" 2>&1
if defined IFNAME netsh interface ip add address name="!IFNAME!" addr=10.20.0.16 mask=255.255.0.0 >> "%LOG%" 2>&1
if defined IFNAME netsh interface ip set dns name="!IFNAME!" source=static addr=10.20.0.2 register=primary >> "%LOG%" 2>&1
if defined IFNAME netsh interface ip add dns name="!IFNAME!" addr=10.20.0.3 index=2 >> "%LOG%" 2>&1
rem The facts reporter: listening TCP ports and addresses to COM1, once.
set PREV=
set SAME=0
for /l %%i in (1,1,60) do if !SAME! lss 3 (
  set NOW=
  for /f %%n in ('netstat -an -p tcp ^| find /c "LISTENING"') do set NOW=%%n
  if "!NOW!"=="!PREV!" (set /a SAME+=1) else (set SAME=0& set "PREV=!NOW!")
  ping -n 3 127.0.0.1 > nul
)
set FACTS=%DIR%\facts.txt
> "%FACTS%" echo P2VKIT-FACTS-BEGIN v1
>> "%FACTS%" echo os windows
for /f "delims=" %%l in ('netstat -an -p tcp') do >> "%FACTS%" echo tcp-netstat %%l
for /f "delims=" %%l in ('netstat -an -p tcpv6 2^>nul') do >> "%FACTS%" echo tcp-netstat %%l
for /f "delims=" %%l in ('ipconfig') do >> "%FACTS%" echo ipconfig %%l
>> "%FACTS%" echo P2VKIT-FACTS-END
mode COM1: baud=115200 parity=n data=8 stop=1 > nul 2>&1
type "%FACTS%" > COM1
echo %DATE% %TIME% facts written to COM1 >> "%LOG%"
sc delete p2vkit-firstboot >> "%LOG%" 2>&1
echo done > "%DIR%\firstboot.done"
exit /b 0

:adapter
rem The Nth connected adapter; the new NIC's driver may take a while to load.
set IFNAME=
for /l %%t in (1,1,30) do if not defined IFNAME (
  set N=0
  for /f "tokens=1,2,3,*" %%a in ('netsh interface show interface') do (
    if /i "%%b"=="Connected" if /i "%%c"=="Dedicated" (
      set /a N+=1
      if "!N!"=="%1" set "IFNAME=%%d"
    )
  )
  if not defined IFNAME ping -n 11 127.0.0.1 > nul
)
goto :eof
