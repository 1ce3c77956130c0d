; Runbook's NSIS installer hooks (bundle.windows.nsis.installerHooks).
;
; The NSIS installer Tauri writes stops only the main executable before it
; replaces files (tauri#9950, tauri#15134). Runbook's sidecars (runbook-sidecar.exe
; as api and worker, valkey-server.exe) usually die with the shell through its
; Job Object, but one that outlived a crashed shell would hold its .exe open and
; the copy would fail half-way. So before any file is replaced or removed, every
; process whose executable lies in the install directory is stopped: the shell
; first (so it cannot restart a sidecar), then whatever is left. Only this
; installation's processes match: another program's valkey-server.exe lives elsewhere.

!macro RUNBOOK_STOP_INSTALLED_PROCESSES
  DetailPrint "Stopping Runbook and its sidecars"
  nsExec::ExecToLog 'powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -Command "$$dir = [IO.Path]::GetFullPath(\"$INSTDIR\") + \"\\\"; $$mine = { param($$p) $$p.Path -and $$p.Path.StartsWith($$dir, [StringComparison]::OrdinalIgnoreCase) }; Get-Process -Name runbook -ErrorAction SilentlyContinue | Where-Object { & $$mine $$_ } | Stop-Process -Force; Start-Sleep -Milliseconds 500; Get-Process | Where-Object { & $$mine $$_ } | Stop-Process -Force"'
  Pop $0
!macroend

!macro NSIS_HOOK_PREINSTALL
  !insertmacro RUNBOOK_STOP_INSTALLED_PROCESSES
!macroend

!macro NSIS_HOOK_PREUNINSTALL
  !insertmacro RUNBOOK_STOP_INSTALLED_PROCESSES
!macroend
