# Stage 0 of the workstation bootstrapper on Windows (PowerShell 5.1 and 7, x64 and arm64).
# The same contract as install.sh: find or install the pinned uv (SHA-256 always checked
# against the pin below), then hand over to `uv run --frozen --project <repo> bootstrap up`.
#
#   powershell -ExecutionPolicy Bypass -File install.ps1 [OPTIONS] ['--' ARGS FOR `bootstrap up`]
#   [Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor 3072
#   & ([scriptblock]::Create((irm https://<host>/install.ps1))) [OPTIONS] [ARGS]
#
# Options and environment variables are install.sh's (see docs/install.md). No admin
# rights, no PATH edits unless --modify-path. ASCII only: Windows PowerShell 5.1 reads a
# script without a byte order mark in the ANSI code page. It never calls `exit` but in
# one place at the end (see there): inside a scriptblock `exit` would close the window.

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 2.0
# A script file (-File, .\install.ps1) or a scriptblock (irm ... | Create): decides how the
# run ends (see "the one exit" at the bottom). Read here: in a function it names the function.
$RunFromFile = $MyInvocation.MyCommand.CommandType -eq 'ExternalScript'

# >>> uv pin: generated from bootstrap/uv/pin.txt; do not edit >>>
$PinData = @'
version 0.13.9
wheel aarch64-apple-darwin uv-0.13.9-py3-none-macosx_11_0_arm64.whl 66c512266d633bef48384a1f53003f41f2a8e7b36fe6e7fbfd3e0fd52d96fa63
wheel aarch64-pc-windows-msvc uv-0.13.9-py3-none-win_arm64.whl eeb92051c2123b9730c46b04cc843cfa4bc7d7b0aec56df431a2215ef4cb0273
wheel aarch64-unknown-linux-gnu uv-0.13.9-py3-none-manylinux_2_28_aarch64.whl ecb6028d79dc96fbeafffe5c8af62a7099487ebc05a701e76714eebcffd06375
wheel aarch64-unknown-linux-musl uv-0.13.9-py3-none-manylinux_2_17_aarch64.manylinux2014_aarch64.musllinux_1_1_aarch64.whl 5435c5ce14a56431208ca0996416d310f1598e8c2c8ba707688985a16bb82dbe
wheel x86_64-apple-darwin uv-0.13.9-py3-none-macosx_10_12_x86_64.whl c16ed11e013557536b3e60065f1b912f6407bd6518e041b961e23ef9e6b4fbf5
wheel x86_64-pc-windows-msvc uv-0.13.9-py3-none-win_amd64.whl 6a44b2ed8111d2f60d2b92627c5dccda3f7ed7570b18ce115e569cd68c28246b
wheel x86_64-unknown-linux-gnu uv-0.13.9-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl d7f459fe4fd247d830351c75686d3996ace3c6f3f728eb0e85a30b7ada0cef19
wheel x86_64-unknown-linux-musl uv-0.13.9-py3-none-musllinux_1_1_x86_64.whl 2c45530751517d6c3bbc69a19473f6effe47cce047bede01ffd8af7ea7b36b25
'@
# <<< uv pin <<<

function Get-Epoch { ([DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds() / 1000.0).ToString([Globalization.CultureInfo]::InvariantCulture) }
$Stage0Now = [DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds() / 1000.0
# Stage 0's parts become phases of the report, as in install.sh: the moment each part
# ended goes to BOOTSTRAP_STAGE0_MARKS (begin= this script's own start).
# Shared with the functions below through this one object (read, then changed in place).
$Stage0State = @{ Code = 0; Marks = 'begin=' + $Stage0Now.ToString([Globalization.CultureInfo]::InvariantCulture) }
# A handoff passes the seconds it already spent, so `total` counts from its first second
# (elapsed time, not a timestamp: the two clocks need not agree). As in install.sh.
$HandoffElapsed = 0.0
if ($env:BOOTSTRAP_HANDOFF_ELAPSED -and [double]::TryParse($env:BOOTSTRAP_HANDOFF_ELAPSED,
        [Globalization.NumberStyles]::Float, [Globalization.CultureInfo]::InvariantCulture,
        [ref]$HandoffElapsed) -and $HandoffElapsed -ge 0) {
    $Stage0Now = $Stage0Now - $HandoffElapsed
}
Remove-Item Env:BOOTSTRAP_HANDOFF_ELAPSED -ErrorAction SilentlyContinue
$Stage0Start = $Stage0Now.ToString([Globalization.CultureInfo]::InvariantCulture)

# PowerShell 5.1 may default to TLS 1.0: require 1.2 (or better) for every download.
[Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor
    [Net.SecurityProtocolType]::Tls12

# Stop-Install CODE: end the run with CODE, from any depth. A thrown exception carrying the
# code, so that `exit` happens in one place only, at the end of the script.
function Stop-Install([int]$Code) {
    $stop = New-Object System.Exception "install.ps1 stops with exit code $Code"
    $stop.Data['Stage0Exit'] = $Code
    throw $stop
}

# The exit code a Stop-Install carries, or $null for any other error.
function Get-StopCode($Err) {
    for ($e = $Err.Exception; $null -ne $e; $e = $e.InnerException) {
        if ($e.Data.Contains('Stage0Exit')) { return [int]$e.Data['Stage0Exit'] }
    }
    return $null
}

function Fail([string]$Message, [string]$Fix = '', [int]$Code = 1) {
    [Console]::Error.WriteLine("install.ps1: error: $Message")
    if ($Fix) { [Console]::Error.WriteLine("  fix: $Fix") }
    Stop-Install $Code
}

function Say([string]$Message) { [Console]::Error.WriteLine("install.ps1: $Message") }

function Env([string]$Name, [string]$Default = '') {
    $v = [Environment]::GetEnvironmentVariable($Name)
    if ([string]::IsNullOrEmpty($v)) { return $Default } else { return $v }
}

# A path the user gave (an argument or a variable) as a full file system path. .NET's
# [IO.File] resolves a relative path against the process's start directory, which is not
# PowerShell's current location (Set-Location does not change it): the provider resolves
# it against the location the user sees, as every cmdlet does.
function Resolve-UserPath([string]$Path) {
    if (-not $Path) { return $Path }
    try { return $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($Path) }
    catch { return $Path }  # not a file system path (a URL, a drive that is not there): as given
}

# Text written for other programs gets an explicit encoding: 5.1's Set-Content writes the
# ANSI code page and 7's UTF-8, so the bytes would depend on the PowerShell version.
$Utf8 = New-Object System.Text.UTF8Encoding $false
function Write-Text([string]$Path, [string]$Text) { [IO.File]::WriteAllText($Path, $Text, $Utf8) }
function Read-Text([string]$Path) { return [IO.File]::ReadAllText($Path, $Utf8) }

# ----- where things live (must match bootstrap.paths.Paths) ---------------------------
function Get-DataDir {
    $home_ = Resolve-UserPath (Env 'BOOTSTRAP_HOME')
    if ($home_) { return (Join-Path $home_ 'data') }
    return (Join-Path ([Environment]::GetFolderPath('LocalApplicationData')) 'bootstrap')
}

# ----- platform ----------------------------------------------------------------------
function Get-Triple {
    $forced = Env 'BOOTSTRAP_UV_TRIPLE'
    if ($forced) { return $forced }
    # The OS's architecture, not this process's: an x64 PowerShell emulated on ARM64
    # Windows sees AMD64 in its own PROCESSOR_ARCHITECTURE, has no ARCHITEW6432 (that is
    # for 32-bit processes only), and on .NET Framework even OSArchitecture says X64. The
    # machine-wide variable in the registry holds the native one in every process
    # (dotnet/dnceng#5419, dotnet/install-scripts#283).
    $arch = [Environment]::GetEnvironmentVariable('PROCESSOR_ARCHITECTURE', [EnvironmentVariableTarget]::Machine)
    if (-not $arch) {
        try {
            $arch = [string][System.Runtime.InteropServices.RuntimeInformation]::OSArchitecture
        } catch { $arch = '' }
    }
    if (-not $arch) { $arch = Env 'PROCESSOR_ARCHITEW6432' (Env 'PROCESSOR_ARCHITECTURE') }
    switch -Regex ($arch) {
        '^(X64|AMD64)$' { return 'x86_64-pc-windows-msvc' }
        '^(Arm64|ARM64)$' { return 'aarch64-pc-windows-msvc' }
        default { Fail "unsupported CPU architecture '$arch' (uv is pinned for x64 and arm64)" }
    }
}

# ----- the pin -----------------------------------------------------------------------
function Read-Pin([string]$Triple) {
    $text = $PinData
    $file = Resolve-UserPath (Env 'BOOTSTRAP_UV_PIN_FILE')
    if ($file) {
        if (-not (Test-Path -LiteralPath $file -PathType Leaf)) { Fail "cannot read the uv pin $file" 'unset BOOTSTRAP_UV_PIN_FILE or point it at a pin file' }
        $text = Read-Text $file
    }
    $pin = @{ Version = ''; WheelFile = ''; WheelSha = ''; ArchiveFile = ''; ArchiveSha = ''; SelfVersion = ''; SelfFile = ''; SelfSha = '' }
    foreach ($line in ($text -split "`n")) {
        $w = ($line -replace '#.*$', '').Trim() -split '\s+'
        if ($w[0] -eq 'version') { $pin.Version = $w[1] }
        elseif ($w[0] -eq 'wheel' -and $w[1] -eq $Triple) { $pin.WheelFile = $w[2]; $pin.WheelSha = $w[3] }
        elseif ($w[0] -eq 'archive' -and $w[1] -eq $Triple) { $pin.ArchiveFile = $w[2]; $pin.ArchiveSha = $w[3] }
        elseif ($w[0] -eq 'self') { $pin.SelfVersion = $w[1]; $pin.SelfFile = $w[2]; $pin.SelfSha = $w[3] }
    }
    if (-not $pin.Version) { Fail "the uv pin has no 'version' line" 'restore the pin: bootstrap uv pin VERSION' }
    if (-not $pin.WheelSha -and -not $pin.ArchiveSha) {
        Fail "the uv pin has no artifact for $Triple" "pin one with: bootstrap uv pin $($pin.Version)"
    }
    return $pin
}

function Get-Sha256([string]$Path) { return (Get-FileHash -Algorithm SHA256 -LiteralPath $Path).Hash.ToLower() }

# ----- downloads ---------------------------------------------------------------------
$ConnectTimeout = [int](Env 'BOOTSTRAP_CONNECT_TIMEOUT' '5')
$ReadTimeout = [int](Env 'BOOTSTRAP_READ_TIMEOUT' '30')
$Retries = [int](Env 'BOOTSTRAP_RETRIES' '3')
$RetryDelay = [double](Env 'BOOTSTRAP_RETRY_DELAY' '1')
# One overall deadline per download, retries included (as install.sh): a server that
# trickles a few bytes a second never trips the read timeout.
$DownloadDeadline = 0
$DeadlineOk = [int]::TryParse((Env 'BOOTSTRAP_DOWNLOAD_DEADLINE' '600'), [ref]$DownloadDeadline) -and $DownloadDeadline -gt 0

# Proxies: Windows PowerShell 5.1's web requests use the system (WinINET/WPAD) proxy but
# send it no credentials (HTTP 407 from an authenticating proxy) and ignore HTTPS_PROXY,
# which curl, uv and the docs honour. HTTPS_PROXY (or https_proxy) wins, NO_PROXY's hosts
# bypass it; else the system proxy, with the signed-in user's credentials.
function Get-Proxy([string]$Url) {
    $explicit = Env 'HTTPS_PROXY' (Env 'https_proxy')
    if ($explicit) {
        if ($explicit -notmatch '^[a-z]+://') { $explicit = "http://$explicit" }
        $proxy = New-Object System.Net.WebProxy ([Uri]$explicit), $true
        $bypass = @()
        foreach ($h in ((Env 'NO_PROXY' (Env 'no_proxy')) -split ',')) {
            $h = $h.Trim().TrimStart('.')
            if ($h -eq '*') { return $null }
            if ($h) { $bypass += ('(^|\.)' + [regex]::Escape($h) + '(:[0-9]+)?$') }
        }
        $host_ = ([Uri]$Url).Authority
        foreach ($b in $bypass) { if ($host_ -match $b) { return $null } }
        $proxy.UseDefaultCredentials = $true
        return $proxy
    }
    $proxy = [System.Net.WebRequest]::DefaultWebProxy
    if ($null -ne $proxy) { $proxy.Credentials = [System.Net.CredentialCache]::DefaultCredentials }
    return $proxy
}

function Test-LoopbackHttp([string]$Url) {
    return ($Url -match '^http://(127\.[0-9.]+|localhost|\[::1\])(:[0-9]+)?/')
}

function Assert-Url([string]$Url) {
    if ($Url -like 'https://*' -or (Test-LoopbackHttp $Url)) { return }
    throw "refusing ${Url}: only https (or http to 127.0.0.1/localhost) is allowed"
}

# Redirects are followed by hand so that each hop is checked: never from https to http.
function Invoke-Fetch([string]$Url, [string]$OutFile, [string]$Accept = '*/*') {
    $attempt = 1
    $delay = $RetryDelay
    $clock = [Diagnostics.Stopwatch]::StartNew()
    $late = "$Url did not finish downloading within ${DownloadDeadline}s (BOOTSTRAP_DOWNLOAD_DEADLINE)"
    while ($true) {
        $current = $Url
        try {
            for ($hop = 0; $hop -le 5; $hop++) {
                Assert-Url $current
                $leftMs = [int][Math]::Max(1000, $DownloadDeadline * 1000 - $clock.ElapsedMilliseconds)
                $req = [Net.HttpWebRequest]::Create($current)
                $req.AllowAutoRedirect = $false
                if (-not (Test-LoopbackHttp $current)) { $req.Proxy = Get-Proxy $current }
                $req.Timeout = [Math]::Min(($ConnectTimeout + $ReadTimeout) * 1000, $leftMs)
                $req.ReadWriteTimeout = [Math]::Min($ReadTimeout * 1000, $leftMs)
                $req.Accept = $Accept
                $req.UserAgent = 'bootstrap-install.ps1'
                try { $resp = $req.GetResponse() }
                catch [Net.WebException] {
                    if ($null -eq $_.Exception.Response) { throw "cannot reach ${current}: $($_.Exception.Message)" }
                    $resp = $_.Exception.Response
                }
                $code = [int]$resp.StatusCode
                if ($code -ge 300 -and $code -lt 400) {
                    $next = [Uri]::new([Uri]$current, $resp.Headers['Location']).AbsoluteUri
                    $resp.Close()
                    if ($current -like 'https://*' -and $next -notlike 'https://*') {
                        throw "refused ${Url}: it redirected to a URL that is not https"
                    }
                    if (Test-LoopbackHttp $current) { throw "refused a redirect (HTTP $code) from $current" }
                    $current = $next
                    continue
                }
                if ($code -ge 500 -or $code -eq 429) { $resp.Close(); throw [TimeoutException]::new("HTTP $code from $current") }
                if ($code -ne 200) { $resp.Close(); throw "HTTP $code from $current" }
                $out = [IO.File]::Create($OutFile)
                $ok = $false
                try {
                    # Chunk by chunk, so the deadline is checked while a slow server trickles.
                    $in = $resp.GetResponseStream()
                    $buf = New-Object byte[] 1048576
                    while (($n = $in.Read($buf, 0, $buf.Length)) -gt 0) {
                        $out.Write($buf, 0, $n)
                        if ($clock.ElapsedMilliseconds -ge $DownloadDeadline * 1000) { throw $late }
                    }
                    $ok = $true
                } finally {
                    $out.Close(); $resp.Close()
                    if (-not $ok) { Remove-Item -LiteralPath $OutFile -Force -ErrorAction SilentlyContinue }
                }
                return $current
            }
            throw "too many redirects from $Url"
        } catch [TimeoutException] {
            if ($clock.ElapsedMilliseconds -ge $DownloadDeadline * 1000) { throw $late }
            if ($attempt -ge $Retries) { throw "$($_.Exception.Message) (gave up after $attempt attempts)" }
            Say "$($_.Exception.Message); retrying in ${delay}s ($attempt/$Retries)"
            Start-Sleep -Milliseconds ([int]($delay * 1000))
            $delay = $delay * 2
            $attempt++
        }
    }
}

function Find-OnIndex([string]$Index, [string]$Project, [string]$File, [string]$Work) {
    $page = $Index.TrimEnd('/') + "/$Project/"
    $html = Join-Path $Work 'index.html'
    $final = Invoke-Fetch $page $html 'text/html'
    foreach ($m in [regex]::Matches((Read-Text $html), 'href\s*=\s*["'']([^"'']+)["'']')) {
        $href = ($m.Groups[1].Value -replace '&amp;', '&') -replace '#.*$', ''
        if ($href.Split('/')[-1] -eq $File) { return ([Uri]::new([Uri]$final, $href)).AbsoluteUri }
    }
    throw "$File is not listed on $page"
}

# ----- safe extraction ---------------------------------------------------------------
function Expand-Uv([string]$File, [string]$Kind, [string]$Version, [string]$Triple, [string]$Dest) {
    Add-Type -AssemblyName System.IO.Compression.FileSystem
    $zip = [IO.Compression.ZipFile]::OpenRead($File)
    try {
        foreach ($e in $zip.Entries) {
            $n = $e.FullName -replace '\\', '/'
            if ($n.StartsWith('/') -or $n -match '^[A-Za-z]:') { throw "${File}: member '$n' has an absolute path" }
            if (($n -split '/') -contains '..') { throw "${File}: member '$n' climbs out with '..'" }
        }
        New-Item -ItemType Directory -Force -Path $Dest | Out-Null
        foreach ($name in 'uv.exe', 'uvx.exe') {
            $wanted = if ($Kind -eq 'wheel') { @("uv-$Version.data/scripts/$name") } else { @($name, "uv-$Triple/$name") }
            $entry = $zip.Entries | Where-Object { $wanted -contains ($_.FullName -replace '\\', '/') } | Select-Object -First 1
            if ($null -eq $entry) { throw "${File}: no $name inside" }
            [IO.Compression.ZipFileExtensions]::ExtractToFile($entry, (Join-Path $Dest $name), $true)
        }
    } finally { $zip.Dispose() }
}

# ----- install -----------------------------------------------------------------------
function Test-UvPresent($Pin, [string]$Dir, [bool]$Verify) {
    $uv = Join-Path $Dir 'uv.exe'; $uvx = Join-Path $Dir 'uvx.exe'; $marker = Join-Path $Dir '.verified'
    if (-not (Test-Path -LiteralPath $uv) -or -not (Test-Path -LiteralPath $marker)) { return $false }
    $rec = @{}
    foreach ($line in [IO.File]::ReadAllLines($marker)) { $k, $v = $line -split ' ', 2; $rec[$k] = $v }
    if ($rec['artifact'] -ne $Pin.WheelSha -and $rec['artifact'] -ne $Pin.ArchiveSha) {
        Say "uv in $Dir was not installed from a pinned artifact; reinstalling"; return $false
    }
    $stamp = (Get-Item -LiteralPath $marker).LastWriteTimeUtc
    $stale = (Get-Item -LiteralPath $uv).LastWriteTimeUtc -gt $stamp -or
        ((Test-Path -LiteralPath $uvx) -and (Get-Item -LiteralPath $uvx).LastWriteTimeUtc -gt $stamp)
    if ($Verify -or $stale) {
        if ((Get-Sha256 $uv) -ne $rec['uv'] -or (Get-Sha256 $uvx) -ne $rec['uvx']) {
            Say "uv in $Dir does not match the checksum recorded when it was installed; reinstalling"
            return $false
        }
        (Get-Item -LiteralPath $marker).LastWriteTimeUtc = [DateTime]::UtcNow
    }
    return $true
}

function Install-Candidate($Pin, [string]$File, [string]$Kind, [string]$Sha, [string]$Triple, [string]$Work, [string]$Dir) {
    $got = Get-Sha256 $File
    if ($got -ne $Sha) { throw "checksum mismatch for $(Split-Path -Leaf $File): pinned $Sha, got $got" }
    $stage = Join-Path $Work 'root'
    Expand-Uv $File $Kind $Pin.Version $Triple $stage
    # Not `2>$null`: under 'Stop', 5.1 ends the script at a native command's first stderr
    # line once it is redirected. uv --version writes none; its exit code is checked.
    $ver = & (Join-Path $stage 'uv.exe') --version
    if ($LASTEXITCODE -ne 0 -or -not ("$ver" -like "uv $($Pin.Version)*")) { throw "the uv inside $(Split-Path -Leaf $File) reports '$ver', not uv $($Pin.Version)" }
    $lines = @("artifact $Sha", "uv $(Get-Sha256 (Join-Path $stage 'uv.exe'))", "uvx $(Get-Sha256 (Join-Path $stage 'uvx.exe'))")
    [IO.File]::WriteAllLines((Join-Path $stage '.verified'), $lines)
    Set-UvFiles $Pin $stage $Dir
}

# Another stage 0 may be about to run $Dir\uv.exe this very moment, so the directory is
# never moved aside: when it already holds this pin's verified uv (someone else won the
# race) it is kept, else each file is renamed over the old one, the marker last.
function Set-UvFiles($Pin, [string]$Stage, [string]$Dir) {
    if (Test-UvPresent $Pin $Dir $true) { return }
    New-Item -ItemType Directory -Force -Path $Dir | Out-Null
    foreach ($name in 'uvx.exe', 'uv.exe', '.verified') {
        $from = Join-Path $Stage $name; $to = Join-Path $Dir $name
        Invoke-Rename $from $to
    }
}

# Rename FROM over TO (same volume), retried: right after a file is written, an antivirus
# scanner may hold it open for a moment (a sharing violation), as uv retries its own
# renames. Ten attempts over about five seconds, then the error as it is.
function Invoke-Rename([string]$From, [string]$To) {
    for ($attempt = 1; ; $attempt++) {
        try {
            if (Test-Path -LiteralPath $To) { [IO.File]::Replace($From, $To, [NullString]::Value) }
            else { [IO.File]::Move($From, $To) }
            return
        } catch {
            $io = $_.Exception -is [IO.IOException] -or $_.Exception -is [UnauthorizedAccessException] -or
                $_.Exception.InnerException -is [IO.IOException] -or $_.Exception.InnerException -is [UnauthorizedAccessException]
            if (-not $io -or $attempt -ge 10 -or (Test-DiskFull $_.Exception)) { throw }
            Start-Sleep -Milliseconds ([Math]::Min(1000, 50 * [Math]::Pow(2, $attempt - 1)))
        }
    }
}

# ERROR_HANDLE_DISK_FULL (39) or ERROR_DISK_FULL (112), possibly wrapped by PowerShell.
function Test-DiskFull($Err) {
    for ($e = $Err; $null -ne $e; $e = $e.InnerException) {
        if (@(0x27, 0x70) -contains ($e.HResult -band 0xFFFF)) { return $true }
    }
    return $false
}

function Install-Uv($Pin, [string]$Triple, [string]$Data, [string]$Sources, [bool]$Verify) {
    $dir = Join-Path $Data "uv\$($Pin.Version)"
    if (Test-UvPresent $Pin $dir $Verify) { return (Join-Path $dir 'uv.exe') }
    New-Item -ItemType Directory -Force -Path (Join-Path $Data 'uv') | Out-Null
    $work = Join-Path $Data ("uv\.tmp-" + [Guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory -Path $work | Out-Null
    $reasons = @()
    Say "installing uv $($Pin.Version) for $Triple (sources: $Sources)"
    try {
        foreach ($source in ($Sources -split ',')) {
            # `continue` inside a switch only leaves the switch: an unconfigured source
            # leaves $from empty instead, and the loop moves on below.
            $from = ''
            try {
                switch ($source.Trim()) {
                    'local' {
                        $p = Resolve-UserPath (Env 'BOOTSTRAP_UV_LOCAL')
                        if (-not $p) { break }
                        if (Test-Path -LiteralPath $p -PathType Container) {
                            foreach ($f in @($Pin.WheelFile, $Pin.ArchiveFile)) {
                                if ($f -and (Test-Path -LiteralPath (Join-Path $p $f))) { $p = Join-Path $p $f; break }
                            }
                        }
                        if (-not (Test-Path -LiteralPath $p -PathType Leaf)) { throw "no $($Pin.WheelFile) in $p" }
                        $copy = Join-Path $work (Split-Path -Leaf $p)
                        Copy-Item -LiteralPath $p -Destination $copy
                        if ($Pin.ArchiveSha -and (Get-Sha256 $copy) -eq $Pin.ArchiveSha) {
                            Install-Candidate $Pin $copy 'archive' $Pin.ArchiveSha $Triple $work $dir
                        } else { Install-Candidate $Pin $copy 'wheel' $Pin.WheelSha $Triple $work $dir }
                        $from = "local $p"
                    }
                    { $_ -in 'mirror', 'release' } {
                        if ($_ -eq 'mirror') { $base = Env 'BOOTSTRAP_UV_MIRROR_URL'; if (-not $base) { break } }
                        else { $base = Env 'BOOTSTRAP_UV_RELEASE_URL' 'https://releases.astral.sh/github/uv/releases/download' }
                        if (-not $Pin.ArchiveSha) { throw "skipped, the pin has no checksum for uv-$Triple.zip (archive checksums are pinned from the release's .sha256 files)" }
                        $url = $base.TrimEnd('/') + "/$($Pin.Version)/$($Pin.ArchiveFile)"
                        Say "downloading $url"
                        $file = Join-Path $work $Pin.ArchiveFile
                        Invoke-Fetch $url $file | Out-Null
                        Install-Candidate $Pin $file 'archive' $Pin.ArchiveSha $Triple $work $dir
                        $from = "$_ $url"
                    }
                    'index' {
                        $index = Env 'BOOTSTRAP_UV_INDEX_URL' (Env 'UV_INDEX_URL' (Env 'PIP_INDEX_URL' 'https://pypi.org/simple'))
                        if (-not $Pin.WheelSha) { throw "skipped, the pin has no uv wheel for $Triple" }
                        $url = Find-OnIndex $index 'uv' $Pin.WheelFile $work
                        Say "downloading $url"
                        $file = Join-Path $work $Pin.WheelFile
                        Invoke-Fetch $url $file | Out-Null
                        Install-Candidate $Pin $file 'wheel' $Pin.WheelSha $Triple $work $dir
                        $from = "index $index"
                    }
                    default { Fail "unknown uv source '$source'" "use a comma-separated list of local, mirror, index, release: install.ps1 --sources 'local,index'" }
                }
                if (-not $from) { continue }
                Say "installed uv $($Pin.Version) into $dir (from $from)"
                return (Join-Path $dir 'uv.exe')
            } catch {
                if ($null -ne (Get-StopCode $_)) { throw }  # Fail inside a source: not a reason
                if (Test-DiskFull $_.Exception) {
                    Fail "no space left on $(Join-Path $Data 'uv')" 'free some space there (uv needs about 150 MB while it installs), then re-run'
                }
                $reasons += "  - ${source}: $($_.Exception.Message)"
            }
        }
    } finally { Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue }
    Fail ("could not install uv $($Pin.Version) for $Triple; nothing was changed:`n" + ($reasons -join "`n")) `
        "set BOOTSTRAP_UV_LOCAL to a directory holding $($Pin.WheelFile), or BOOTSTRAP_UV_INDEX_URL / BOOTSTRAP_UV_MIRROR_URL to a reachable source"
}

# ----- cache bundles ------------------------------------------------------------------
# Format 2, the same rules as install.sh (docs/cache.md): an uncompressed tar of regular
# files named manifest.json, SHA256SUMS, uv/<file>, wheels/<file>; the uv artifact is
# checked against the pin, every wheel the repository's uv.lock names against its hash.
function Fail-Bundle([string]$Code, [string]$Message, [string]$Fix = 're-create it with: bootstrap cache pack') {
    Fail "$Message [$Code]" $Fix 2
}

function Get-LockSums([string]$Lock) {
    # "<file>" -> "<sha256>" for every file the lock names (its url = ..., hash = ... lines)
    $sums = @{}
    foreach ($line in [IO.File]::ReadAllLines($Lock)) {
        $u = [regex]::Match($line, 'url = "([^"]*)"')
        $h = [regex]::Match($line, 'hash = "sha256:([0-9a-f]+)"')
        if ($u.Success -and $h.Success) { $sums[$u.Groups[1].Value.Split('/')[-1]] = $h.Groups[1].Value }
    }
    return $sums
}

function Clear-StaleStaging([string]$Wheelhouse) {
    # Staging dirs are .tmp\<pid>-...: remove those whose process is gone (a killed run).
    $tmp = Join-Path $Wheelhouse '.tmp'
    if (-not (Test-Path -LiteralPath $tmp)) { return }
    foreach ($d in (Get-ChildItem -LiteralPath $tmp -Force)) {
        $procId = ($d.Name -split '-', 2)[0]
        if ($procId -match '^[0-9]+$' -and [int]$procId -ne $PID -and (Get-Process -Id ([int]$procId) -ErrorAction SilentlyContinue)) { continue }
        Remove-Item -LiteralPath $d.FullName -Recurse -Force -ErrorAction SilentlyContinue
    }
}

function Get-ToolEnvDir([string]$Repo, [string]$Data) {
    return (Join-Path $Data ('tool\' + (Get-Sha256 (Join-Path $Repo 'uv.lock')).Substring(0, 16)))
}

function Test-ToolEnv([string]$ToolEnv, [string]$Repo) {
    $ok = Join-Path $ToolEnv '.ok'
    return ((Test-Path -LiteralPath $ok) -and ((Read-Text $ok).Trim() -eq $Repo))
}

function Import-Bundle([string]$Bundle, $Pin, [string]$Triple, [string]$Data, [string]$Repo) {
    if ($Bundle -match '://') { Fail-Bundle 'bundle.missing' "install.ps1 reads a cache bundle from a file, not from $Bundle" 'download it first, then: .\install.ps1 --cache-bundle FILE' }
    if (-not (Test-Path -LiteralPath $Bundle -PathType Leaf)) { Fail-Bundle 'bundle.missing' "cache bundle $Bundle does not exist" 'pass the path of a bundle made by: bootstrap cache pack' }
    # The checkout's uv.lock vouches for the bootstrapper's wheels; elsewhere (a team's
    # repository) the pin's `self` line vouches for its wheel, and the runtime lock inside
    # that wheel for the rest (uv checks those hashes when it installs them).
    if (-not $Repo -and -not $Pin.SelfSha) { Fail-Bundle 'bundle.no_repo' '--cache-bundle needs the bootstrapper''s checkout (its uv.lock vouches for the bundle) or a pin naming the bootstrapper (a ''self'' line)' 'run install.ps1 from the bootstrapper''s checkout, or write it with `bootstrap init`' }
    $wheelhouse = Join-Path $Data 'wheels'
    New-Item -ItemType Directory -Force -Path (Join-Path $wheelhouse '.tmp') | Out-Null
    Clear-StaleStaging $wheelhouse
    $work = Join-Path $wheelhouse ".tmp\$PID-stage0"
    Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue
    $dir = Join-Path $work 'b'
    New-Item -ItemType Directory -Force -Path $dir | Out-Null
    # Windows' own tar (bsdtar, Windows 10 1803 and later), never the first tar on PATH: a
    # PowerShell started from Git Bash finds GNU tar there, which reads C:\ as a remote host.
    $tar = Join-Path $env:SystemRoot 'System32\tar.exe'
    if (-not (Test-Path -LiteralPath $tar -PathType Leaf)) { Fail-Bundle 'bundle.not_tar' "no $tar to read $Bundle with (Windows 10 1803 or later has it)" 'run the bundle import on Windows 10 1803 or later, or in WSL: ./install.sh --cache-bundle FILE' }
    # An uncompressed tar only (ustar magic at offset 257): tar would inflate a gzip.
    $fs = [IO.File]::OpenRead($Bundle)
    try { $head = New-Object byte[] 262; $n = $fs.Read($head, 0, 262) } finally { $fs.Close() }
    if ($n -lt 262 -or [Text.Encoding]::ASCII.GetString($head, 257, 5) -ne 'ustar') { Fail-Bundle 'bundle.not_tar' "$Bundle is not a cache bundle (expected an uncompressed tar, format 2)" }
    $size = (Get-Item -LiteralPath $Bundle).Length
    $cap = [int64](Env 'BOOTSTRAP_BUNDLE_MAX_BYTES' '34359738368')
    if ($size -gt $cap) { Fail-Bundle 'bundle.too_large' "$Bundle is $size bytes, more than the cap (BOOTSTRAP_BUNDLE_MAX_BYTES)" 'raise BOOTSTRAP_BUNDLE_MAX_BYTES if a bundle this large is expected' }
    $long = @(& $tar -tvf $Bundle)
    if ($LASTEXITCODE -ne 0) { Fail-Bundle 'bundle.not_tar' "$Bundle is not a readable tar" }
    # The members of an uncompressed tar fit in it, unless one is sparse: Windows' tar
    # (bsdtar) lists "mode links uid gid size ...".
    $sum = [int64]0
    foreach ($l in $long) { $f = -split $l; if ($f.Count -gt 4) { $sum += [int64]$f[4] } }
    if ($sum -gt $size) { Fail-Bundle 'bundle.unsafe_member' "${Bundle}: its members unpack to $sum bytes, more than the file's $size (a sparse member); a bundle holds only regular files" }
    foreach ($l in $long) { if (-not $l.StartsWith('-')) { Fail-Bundle 'bundle.unsafe_member' "${Bundle}: member '$l' is not a regular file; a bundle holds only regular files" } }
    $names = @(& $tar -tf $Bundle)
    $seen = @{}
    foreach ($m in $names) {
        if ($seen.ContainsKey($m)) { Fail-Bundle 'bundle.duplicate' "${Bundle}: member '$m' appears twice" }
        $seen[$m] = $true
        if ($m -eq 'manifest.json' -or $m -eq 'SHA256SUMS') { continue }
        if ((($m -notmatch '^(uv|wheels)/[A-Za-z0-9_][A-Za-z0-9._+-]*$') -and ($m -notmatch '^python/[A-Za-z0-9_][A-Za-z0-9._+-]*$')) -or $m.Contains('..')) {
            Fail-Bundle 'bundle.unsafe_path' "${Bundle}: unexpected member '$m' (absolute, '..', or not manifest.json, SHA256SUMS, uv/<file>, wheels/<file>, python/<file>)"
        }
        # Longer than a file name may be (NAME_MAX): refused, not left to fail in tar.
        if (($m -split '/', 2)[1].Length -gt 255) { Fail-Bundle 'bundle.unsafe_path' "${Bundle}: member name '$($m.Substring(0, 60))...' is longer than 255 characters" }
    }
    # 'Continue' while a native command's stderr is captured: Windows PowerShell 5.1
    # turns each captured stderr line into an error, which 'Stop' would throw.
    $eap = $ErrorActionPreference; $ErrorActionPreference = 'Continue'
    try { $tarErr = @(& $tar -xf $Bundle -C $dir 2>&1) } finally { $ErrorActionPreference = $eap }
    if ($LASTEXITCODE -ne 0) {
        # A full disk is the machine's answer, not a broken bundle: say which (exit 1).
        $free = (New-Object IO.DriveInfo ([IO.Path]::GetPathRoot($dir))).AvailableFreeSpace
        if ("$tarErr" -match 'No space|not enough space' -or $free -lt 1048576) { Fail "no space left on $wheelhouse" 'free some space there, then re-run' }
        Fail-Bundle 'bundle.truncated' "cannot unpack $Bundle (truncated or corrupt)"
    }
    foreach ($i in (Get-ChildItem -LiteralPath $dir -Recurse -Force)) {
        if ($i.Attributes -band [IO.FileAttributes]::ReparsePoint) { Fail-Bundle 'bundle.unsafe_member' "${Bundle}: '$($i.Name)' is not a regular file" }
    }
    $sumsFile = Join-Path $dir 'SHA256SUMS'
    if (-not (Test-Path -LiteralPath $sumsFile) -or -not (Test-Path -LiteralPath (Join-Path $dir 'manifest.json'))) {
        Fail-Bundle 'bundle.missing_member' "$Bundle has no SHA256SUMS or manifest.json: not a cache bundle"
    }
    $listed = @{}
    foreach ($line in [IO.File]::ReadAllLines($sumsFile)) {
        if (-not $line.Trim()) { continue }
        $sum, $path = $line -split '\s+', 2
        $listed[$path] = $true
        if (-not (Test-Path -LiteralPath (Join-Path $dir $path) -PathType Leaf)) { Fail-Bundle 'bundle.missing_member' "${Bundle}: SHA256SUMS lists $path, which is missing" }
        if ((Get-Sha256 (Join-Path $dir $path)) -ne $sum) { Fail-Bundle 'bundle.checksum' "${Bundle}: $path does not match SHA256SUMS (corrupt or tampered bundle)" }
    }
    foreach ($m in $names) {
        if ($m -ne 'SHA256SUMS' -and -not $listed.ContainsKey($m)) { Fail-Bundle 'bundle.extra_member' "${Bundle}: $m is not covered by SHA256SUMS" }
    }
    # A manifest that is not JSON, or nested deeper than ConvertFrom-Json reads, is a
    # refused bundle, not a PowerShell error.
    try { $manifest = Read-Text (Join-Path $dir 'manifest.json') | ConvertFrom-Json }
    catch { Fail-Bundle 'bundle.manifest' "${Bundle}: manifest.json is not a JSON object a manifest can be" }
    if ($manifest -isnot [PSCustomObject]) { Fail-Bundle 'bundle.manifest' "${Bundle}: manifest.json is not a JSON object" }
    if ($manifest.format -ne 2) { Fail-Bundle 'bundle.format' "${Bundle}: bundle format is not 2, this checkout reads format 2 only" 'pack the bundle again with this checkout: bootstrap cache pack' }
    # Every manifest value is data, checked against a strict pattern before it is used or
    # printed: a Python version goes to `uv venv --python` (where a path would be run).
    foreach ($py in @($manifest.pythons)) {
        if ("$py" -notmatch '^[0-9]\.[0-9]{1,2}$') { Fail-Bundle 'bundle.manifest' "${Bundle}: manifest pythons has a value that is not a Python version like 3.12" }
    }
    if ("$($manifest.target)" -notmatch '^[a-z0-9._]+-[a-z0-9._]+-[a-z0-9.]+$') { Fail-Bundle 'bundle.manifest' "${Bundle}: manifest target is not a target key like windows-x86_64-cpu" }
    if ("$($manifest.uv_version)" -notmatch '^[0-9][0-9a-z.]{0,30}$') { Fail-Bundle 'bundle.manifest' "${Bundle}: manifest uv_version is not a uv version like 0.13.9" }
    # The profile is only shown in a fix: anything but a plain name or path is left out.
    $profileName = "$($manifest.profile)"
    if ($profileName -notmatch '^[A-Za-z0-9._/\\:+-]*$') { $profileName = 'PROFILE' }
    if ($manifest.uv_version -ne $Pin.Version) { Fail-Bundle 'bundle.uv_version' "$Bundle carries uv $($manifest.uv_version), but the pin is uv $($Pin.Version)" 'make a bundle with this checkout''s pin: bootstrap cache pack' }
    $arch = if ($Triple -like 'x86_64-*') { 'x86_64' } else { 'arm64' }
    if (-not ("$($manifest.target)" -like "windows-$arch-*")) { Fail-Bundle 'bundle.wrong_target' "$Bundle is for $($manifest.target), this machine is windows-$arch" "use the bundle made for windows-$arch" }
    if ("$($manifest.uv_artifact)" -notmatch '^uv/[A-Za-z0-9_][A-Za-z0-9._+-]*$') { Fail-Bundle 'bundle.manifest' "${Bundle}: manifest uv_artifact is not uv/<file name>" }
    # The uv artifact is the pinned file, byte for byte: its name and digest come from the
    # pin, never from the manifest (whoever wrote the bundle wrote that too).
    $uvFile = ''
    foreach ($art in @(@($Pin.WheelFile, $Pin.WheelSha), @($Pin.ArchiveFile, $Pin.ArchiveSha))) {
        $path = Join-Path $dir "uv\$($art[0])"
        if ($art[1] -and "$($manifest.uv_artifact)" -eq "uv/$($art[0])" -and (Test-Path -LiteralPath $path -PathType Leaf) -and (Get-Sha256 $path) -eq $art[1]) { $uvFile = $path }
    }
    if (-not $uvFile) { Fail-Bundle 'bundle.uv_checksum' "${Bundle}: its uv artifact is not the pinned uv $($Pin.Version) for $Triple" 'never use this bundle''s uv; pack a new bundle from this repository' }
    if (-not $Repo) {
        $selfPath = Join-Path $dir "wheels\$($Pin.SelfFile)"
        if (-not (Test-Path -LiteralPath $selfPath -PathType Leaf)) { Fail-Bundle 'bundle.self_missing' "$Bundle does not carry the pinned bootstrapper $($Pin.SelfFile)" "pack the bundle with it: bootstrap cache pack --project DIR --self-wheel $($Pin.SelfFile)" }
        $got = Get-Sha256 $selfPath
        if ($got -ne $Pin.SelfSha) { Fail-Bundle 'bundle.self_checksum' "${Bundle}: wheels/$($Pin.SelfFile) does not match the pin (self $($Pin.SelfVersion) $($Pin.SelfFile) sha256 $($Pin.SelfSha) in install.ps1; the file has $got); refused" 'never use this bundle; pack a new one with the pinned wheel' }
        $selfDir = Join-Path $Data "self\$($Pin.SelfSha)"
        New-Item -ItemType Directory -Force -Path $selfDir | Out-Null
        Invoke-Rename $selfPath (Join-Path $selfDir $Pin.SelfFile)
        return @{ Dir = $work; Artifact = $uvFile; Wheelhouse = (Join-Path $dir 'wheels')
                  Pythons = @($manifest.pythons); Profile = $profileName; Target = "$($manifest.target)"
                  Python = $null; Triple = $Triple; Data = $Data }
    }
    # Trust: each wheel this checkout's uv.lock names must have the lock's hash; the rest
    # stays for `bootstrap up`, which checks it against the project's lock.
    $locked = Get-LockSums (Join-Path $Repo 'uv.lock')
    $wheels = Join-Path $dir 'wheels'
    $ours = @()
    if (Test-Path -LiteralPath $wheels) {
        foreach ($w in (Get-ChildItem -LiteralPath $wheels -File)) {
            if (-not $locked.ContainsKey($w.Name)) { continue }
            $got = Get-Sha256 $w.FullName
            if ($got -ne $locked[$w.Name]) {
                Fail-Bundle 'bundle.lock_hash' "${Bundle}: $($w.Name) does not match $Repo\uv.lock (sha256 $got, the lock says $($locked[$w.Name])); refusing the bundle" 'never use this bundle; pack a new one from this repository'
            }
            $ours += $w
        }
    }
    foreach ($w in $ours) { Invoke-Rename $w.FullName (Join-Path $wheelhouse $w.Name) }
    $py = Import-BundlePython $Bundle $dir $Triple $Data $Repo
    return @{ Dir = $work; Artifact = $uvFile; Wheelhouse = $wheelhouse
              Pythons = @($manifest.pythons); Profile = $profileName; Target = "$($manifest.target)"
              Python = $py; Triple = $Triple; Data = $Data }
}

# ----- a pinned interpreter from the bundle (machines with no Python) ------------------
# bootstrap\python\pin.txt pins, per triple, an install_only CPython archive by SHA-256
# (docs/cache.md). A bundle's python/<file> must be that file with that hash, or the whole
# bundle is refused before uv sees it. uv installs it offline from a downloads list written
# here from the pin -- never one the bundle or the environment brings: uv checks an
# archive only when the list carries its sha256, and nothing checks the list.
function Read-PythonPin([string]$Triple, [string]$Repo) {
    $file = Env 'BOOTSTRAP_PYTHON_PIN_FILE' (Join-Path $Repo 'bootstrap\python\pin.txt')
    if (-not (Test-Path -LiteralPath $file -PathType Leaf)) { return $null }
    foreach ($line in [IO.File]::ReadAllLines($file)) {
        $w = -split ($line -replace '#.*$', '')
        if ($w.Count -eq 6 -and $w[0] -eq 'cpython' -and $w[1] -eq $Triple -and
            $w[2] -match '^3\.[0-9]+\.[0-9]+$' -and $w[3] -match '^[A-Za-z0-9_][A-Za-z0-9._+-]*$' -and
            $w[4] -match '^[0-9a-f]{64}$') {
            return @{ Version = $w[2]; File = $w[3]; Sha = $w[4] }
        }
    }
    return $null
}

function Import-BundlePython([string]$Bundle, [string]$Dir, [string]$Triple, [string]$Data, [string]$Repo) {
    # The python/ members: the pinned archive (kept where the list will point uv), or a
    # downloads list, which is never used.
    $pydir = Join-Path $Dir 'python'
    if (-not (Test-Path -LiteralPath $pydir)) { return $null }
    $pin = Read-PythonPin $Triple $Repo
    $found = $null
    $said = $false
    foreach ($f in (Get-ChildItem -LiteralPath $pydir -File)) {
        if ($f.Name.EndsWith('.json')) {
            if (-not $said) { Say "${Bundle}: python/$($f.Name) is a downloads list; it is never used (the list comes from bootstrap\python\pin.txt)" }
            $said = $true
            continue
        }
        if (-not $pin -or $f.Name -ne $pin.File) {
            Fail-Bundle 'bundle.python_unpinned' "${Bundle}: python/$($f.Name) is not the interpreter bootstrap\python\pin.txt pins for $Triple" 'pin it (bootstrap python pin VERSION --archive FILE) or pack the bundle again with --with-python'
        }
        $got = Get-Sha256 $f.FullName
        if ($got -ne $pin.Sha) {
            Fail-Bundle 'bundle.python_checksum' "${Bundle}: python/$($f.Name) does not match the Python pin for $Triple (sha256 $got, pinned $($pin.Sha)); refused before uv sees it" 'never use this bundle''s interpreter; pack a new bundle'
        }
        $dest = Join-Path $Data 'python'
        New-Item -ItemType Directory -Force -Path $dest | Out-Null
        Invoke-Rename $f.FullName (Join-Path $dest $pin.File)
        $found = @{ Version = $pin.Version; Sha = $pin.Sha; Archive = (Join-Path $dest $pin.File) }
    }
    return $found
}

function Install-BundlePython($Uv, $Py, [string]$Triple, [string]$Data) {
    # uv installs the pinned interpreter offline from a list written from the pin.
    $arch = if ($Triple -like 'x86_64-*') { 'x86_64' } else { 'aarch64' }
    $v = $Py.Version.Split('.')
    $entry = [ordered]@{ name = 'cpython'; arch = [ordered]@{ family = $arch; variant = $null }; os = 'windows'
                         libc = 'none'; major = [int]$v[0]; minor = [int]$v[1]; patch = [int]$v[2]; prerelease = ''
                         url = ([Uri]$Py.Archive).AbsoluteUri; sha256 = $Py.Sha; variant = $null; build = '0' }
    $list = Join-Path $Data "python\downloads-$Triple.json"
    $body = [ordered]@{}
    $body["cpython-$($Py.Version)-windows-$arch-none"] = $entry
    Write-Text $list ($body | ConvertTo-Json -Depth 4)
    $dropped = @()
    foreach ($name in 'UV_PYTHON_INSTALL_MIRROR', 'UV_PYPY_INSTALL_MIRROR', 'UV_PYTHON_DOWNLOADS_JSON_URL', 'UV_PYTHON_CACHE_DIR', 'UV_PYTHON_DOWNLOADS') {
        if ([Environment]::GetEnvironmentVariable($name)) {
            if ($name -ne 'UV_PYTHON_DOWNLOADS') { $dropped += $name }
            [Environment]::SetEnvironmentVariable($name, $null)
        }
    }
    if ($dropped) { Say "unset for the interpreter's install: $($dropped -join ' ') (the list written from bootstrap\python\pin.txt decides where it comes from)" }
    # --no-bin: nothing goes onto PATH (PATH is never touched unasked).
    & $Uv -q --offline python install --no-bin --python-downloads-json-url ([Uri]$list).AbsoluteUri $Py.Version
    if ($LASTEXITCODE -ne 0) {
        Invoke-Quietly $Uv @('-q', 'python', 'uninstall', $Py.Version) | Out-Null
        Fail-Bundle 'python.install_failed' "uv could not install the pinned CPython $($Py.Version) from $($Py.Archive) (above)" 'check the bundle: bootstrap cache verify FILE'
    }
    Say "CPython $($Py.Version) (pinned, from the bundle) installed by uv, offline"
}

function New-ToolEnv($Uv, [string]$Repo, [string]$ToolEnv, $Imported) {
    # The bootstrapper's runtime environment from the wheelhouse, offline, hashes required.
    if (Test-ToolEnv $ToolEnv $Repo) { return }
    Remove-Item -LiteralPath $ToolEnv -Recurse -Force -ErrorAction SilentlyContinue
    New-Item -ItemType Directory -Force -Path $ToolEnv | Out-Null
    $req = Join-Path $Imported.Dir 'tool-req.txt'
    & $Uv export -q --frozen --no-dev --no-emit-project --no-header --no-annotate --project $Repo -o $req
    if ($LASTEXITCODE -ne 0) { Fail "uv cannot read $Repo\uv.lock" }
    $made = ''
    if ($Imported.Python) {
        # A pinned interpreter from the bundle: installed by uv, and the only one used.
        Install-BundlePython $Uv $Imported.Python $Imported.Triple $Imported.Data
        & $Uv venv -q --offline --no-python-downloads --managed-python --allow-existing --python $Imported.Python.Version $ToolEnv
        if ($LASTEXITCODE -ne 0) { Fail "uv cannot make the bootstrapper's environment with the pinned CPython $($Imported.Python.Version)" }
        $made = $Imported.Python.Version
    }
    if (-not $made) {
        foreach ($py in $Imported.Pythons) {
            if ((Invoke-Quietly $Uv @('venv', '-q', '--offline', '--no-python-downloads', '--allow-existing', '--python', $py, $ToolEnv)) -eq 0) { $made = $py; break }
        }
    }
    if (-not $made) {
        $serves = $Imported.Pythons -join ', '
        if (-not (Get-Command python -ErrorAction SilentlyContinue) -and -not (Get-Command py -ErrorAction SilentlyContinue)) {
            Fail-Bundle 'bundle.no_python' "this machine has no Python at all, and the bundle carries no interpreter pinned for $($Imported.Triple)" "pack one that does: bootstrap python pin 3.X.Y --target $($Imported.Target) (commit bootstrap\python\pin.txt), then bootstrap cache pack --profile $($Imported.Profile) --target $($Imported.Target) --with-python --out FILE"
        }
        Fail-Bundle 'bundle.python' "the bundle's wheels serve Python $serves, this machine has no Python $serves" "pack a bundle for it: bootstrap cache pack --profile $($Imported.Profile) --target $($Imported.Target) --python 3.X --out FILE"
    }
    $python = Join-Path $ToolEnv 'Scripts\python.exe'
    $eap = $ErrorActionPreference; $ErrorActionPreference = 'Continue'  # as for tar, above
    try { $syncErr = @(& $Uv pip sync -q --offline --no-index --require-hashes --find-links $Imported.Wheelhouse --python $python $req 2>&1) }
    finally { $ErrorActionPreference = $eap }
    if ($LASTEXITCODE -ne 0) {
        # uv refused a wheelhouse file whose hash is not the lock's: it changed after an
        # import checked it. Say so, and how to put it right, rather than uv's own words.
        $bad = [regex]::Match("$syncErr", 'Hash mismatch for `([A-Za-z0-9._+=-]*)`')
        if ($bad.Success) { Fail-Bundle 'bundle.wheelhouse_hash' "the wheelhouse $($Imported.Wheelhouse) holds a file for $($bad.Groups[1].Value) whose SHA-256 is not the one $Repo\uv.lock records: it changed after it was imported" "delete that file from $($Imported.Wheelhouse) (or import a bundle that carries it), then run again" }
        $syncErr | ForEach-Object { [Console]::Error.WriteLine("$_") }
        Fail-Bundle 'bundle.tool_missing' 'the bundle lacks wheels the bootstrapper needs (above)' 'pack the bundle again with this checkout: bootstrap cache pack'
    }
    # The bootstrapper runs from this checkout's source: nothing is built.
    Write-Text (Join-Path $ToolEnv 'Lib\site-packages\bootstrap-checkout.pth') (Get-PthLine $Repo)
    Write-Text (Join-Path $ToolEnv '.ok') "$Repo`n"
}

# The .pth line that puts REPO on sys.path, in ASCII whatever the path holds: Python
# before 3.13 decodes .pth files in the ANSI code page, 3.13 and later as UTF-8 first, so
# only ASCII means the same to every version. A path with other characters becomes an
# `import` line (site.py runs those) with the path as an escaped Python string.
function Get-PthLine([string]$Repo) {
    if ($Repo -notmatch '[^\x20-\x7e]') { return "$Repo`n" }
    $sb = New-Object System.Text.StringBuilder
    for ($k = 0; $k -lt $Repo.Length; $k++) {
        $c = $Repo[$k]
        if ([char]::IsHighSurrogate($c) -and $k + 1 -lt $Repo.Length) {
            [void]$sb.AppendFormat('\U{0:x8}', [char]::ConvertToUtf32($c, $Repo[$k + 1])); $k++
        } elseif ([int]$c -gt 126 -or [int]$c -lt 32) { [void]$sb.AppendFormat('\u{0:x4}', [int]$c) }
        elseif ($c -eq '\' -or $c -eq "'") { [void]$sb.Append('\').Append($c) }
        else { [void]$sb.Append($c) }
    }
    return "import sys; sys.path.append('$($sb.ToString())')`n"
}

# Run a native command for its exit code only, its output discarded. Here (and only here)
# 'Continue': under 'Stop', 5.1 turns a redirected native command's first stderr line into
# a terminating error, so a Python that is not there would end the script instead of
# letting the next one be tried.
function Invoke-Quietly([string]$Exe, [string[]]$Argv) {
    $ErrorActionPreference = 'Continue'
    & $Exe @Argv 2>$null | Out-Null
    return $LASTEXITCODE
}

# ----- the bootstrapper itself, when piped -------------------------------------------
function Find-Repo {
    $forced = Resolve-UserPath (Env 'BOOTSTRAP_REPO')
    if ($forced) { return $forced }
    if ($PSScriptRoot -and (Test-Path (Join-Path $PSScriptRoot 'pyproject.toml')) -and (Test-Path (Join-Path $PSScriptRoot 'bootstrap'))) { return $PSScriptRoot }
    return ''
}

# The bootstrapper's wheel: the pin's `self` line (looked up on a package index), or
# BOOTSTRAP_SELF_URL with BOOTSTRAP_SELF_SHA256.
function Get-Self([string]$Data, $Pin) {
    $url = Env 'BOOTSTRAP_SELF_URL'; $sha = Env 'BOOTSTRAP_SELF_SHA256'
    if (-not $sha -and $Pin.SelfSha -and (-not $url -or $url.Split('/')[-1] -eq $Pin.SelfFile)) { $sha = $Pin.SelfSha }
    if (-not $sha -or (-not $url -and -not $Pin.SelfFile)) {
        Fail 'not run from a checkout, and no pinned bootstrapper to fetch' 'run powershell -ExecutionPolicy Bypass -File install.ps1 from the repository, or set BOOTSTRAP_SELF_URL (wheel) and BOOTSTRAP_SELF_SHA256'
    }
    $dir = Join-Path $Data "self\$sha"
    New-Item -ItemType Directory -Force -Path $dir | Out-Null
    if (-not $url) {
        $cached = Join-Path $dir $Pin.SelfFile
        if (Test-Path -LiteralPath $cached) { return $cached }
        # The sources uv comes from, in the same order: a directory or file here, a
        # mirror (<base>/<file>), then the index; each checked against the pin below.
        $local = Resolve-UserPath (Env 'BOOTSTRAP_SELF_LOCAL')
        if ($local) {
            $cand = if (Test-Path -LiteralPath $local -PathType Container) { Join-Path $local $Pin.SelfFile } else { $local }
            if ((Test-Path -LiteralPath $cand -PathType Leaf) -and (Get-Sha256 $cand) -eq $sha) {
                Copy-Item -LiteralPath $cand -Destination $cached
                return $cached
            }
            Say "BOOTSTRAP_SELF_LOCAL: no $($Pin.SelfFile) with the pinned checksum in $local"
        }
        $mirror = Env 'BOOTSTRAP_SELF_MIRROR_URL'
        if ($mirror) { $url = $mirror.TrimEnd('/') + '/' + $Pin.SelfFile }
    }
    if (-not $url) {
        $index = Env 'BOOTSTRAP_SELF_INDEX_URL' (Env 'BOOTSTRAP_UV_INDEX_URL' (Env 'UV_INDEX_URL' (Env 'PIP_INDEX_URL' 'https://pypi.org/simple')))
        $url = Find-OnIndex $index ($Pin.SelfFile.Split('-')[0]) $Pin.SelfFile $dir
    }
    $file = Join-Path $dir ($url.Split('/')[-1])
    if (Test-Path -LiteralPath $file) { return $file }
    $tmp = "$file.part"
    Invoke-Fetch $url $tmp | Out-Null
    $got = Get-Sha256 $tmp
    if ($got -ne $sha) {
        Remove-Item -LiteralPath $tmp
        if (-not (Env 'BOOTSTRAP_SELF_URL')) {
            Fail "$($Pin.SelfFile) from $url does not match the pin (self $($Pin.SelfVersion) $($Pin.SelfFile) sha256 $sha in install.ps1's pin; the file has $got); refused" "the file on the index is not the released one: republish $($Pin.SelfFile), or point BOOTSTRAP_SELF_INDEX_URL at an index that serves it" 2
        }
        Fail "the bootstrapper does not match its pinned checksum: pinned $sha, got $got" 'check BOOTSTRAP_SELF_URL and BOOTSTRAP_SELF_SHA256'
    }
    Invoke-Rename $tmp $file
    return $file
}

# The pinned wheel's own environment outside the bootstrapper's checkout (install.sh's
# self_tool_env): the wheel, then the runtime lock it carries (bootstrap\runtime.txt,
# hashed requirements: the wheel's checksum vouches for it, and uv refuses any file whose
# hash it does not list), from the index the wheel came from.
function New-SelfEnv([string]$Uv, [string]$Data, $Pin, [string]$Wheel, $Imported) {
    $dir = Join-Path $Data ('tool\self-' + $Pin.SelfSha.Substring(0, 16))
    $ok = Join-Path $dir '.ok'
    if ((Test-Path -LiteralPath $ok) -and ((Read-Text $ok).Trim() -eq $Pin.SelfSha)) { return $dir }
    if (Test-Path -LiteralPath $dir) { Remove-Item -LiteralPath $dir -Recurse -Force }
    $log = ''
    if ((Invoke-UvCollect $Uv @('venv', '-q', '--no-python-downloads', $dir) ([ref]$log)) -ne 0) {
        Fail "uv cannot make the bootstrapper's environment: $log" 'install Python 3.9 or later'
    }
    $py = Join-Path $dir 'Scripts\python.exe'
    if ((Invoke-UvCollect $Uv @('pip', 'install', '-q', '--offline', '--no-deps', '--python', $py, $Wheel) ([ref]$log)) -ne 0) {
        Fail "uv cannot install the bootstrapper ${Wheel}: $log"
    }
    $runtime = Join-Path $dir 'Lib\site-packages\bootstrap\runtime.txt'
    if (-not (Test-Path -LiteralPath $runtime)) {
        Fail "the bootstrapper $($Pin.SelfFile) carries no runtime lock (bootstrap\runtime.txt)" 'release it with `bootstrap release`, which writes the lock into the wheel'
    }
    $index = Env 'BOOTSTRAP_SELF_INDEX_URL' (Env 'BOOTSTRAP_UV_INDEX_URL' (Env 'UV_INDEX_URL' (Env 'PIP_INDEX_URL' 'https://pypi.org/simple')))
    $from = if ($Imported) { @('--offline', '--no-index', '--find-links', $Imported.Wheelhouse) } else { @('--index-url', $index) }
    $argv = @('pip', 'install', '-q') + $from + @('--require-hashes', '--python', $py, '-r', $runtime)
    if ((Invoke-UvCollect $Uv $argv ([ref]$log)) -ne 0) {
        if (($log -match 'invalid peer certificate|UnknownIssuer') -and -not (Env 'UV_SYSTEM_CERTS')) {
            $env:UV_SYSTEM_CERTS = '1'
            if ((Invoke-UvCollect $Uv $argv ([ref]$log)) -eq 0) {
                Write-Text (Join-Path $Data 'tls-system-certs') ''
                Say 'TLS: uv''s built-in roots reject the index''s certificate and the system''s store accepts it: every uv call now uses it (UV_SYSTEM_CERTS=1)'
            }
        }
    }
    if ($LASTEXITCODE -ne 0 -and -not (Test-Path -LiteralPath (Join-Path $dir 'Lib\site-packages\click'))) {
        Fail "uv could not install the bootstrapper's runtime lock from ${index}: $log" 'check BOOTSTRAP_SELF_INDEX_URL (or UV_INDEX_URL)' $ExitNetwork
    }
    Write-Text $ok $Pin.SelfSha
    return $dir
}

# ----- TLS like the rest of the machine (install.sh's prepare_tool_env) ---------------
# The downloads above use Windows' certificate store; uv uses its own built-in roots
# unless UV_SYSTEM_CERTS=1. Behind a TLS-inspecting proxy only the Windows store holds
# the organisation's CA: when uv's first download (the bootstrapper's own environment)
# fails on the certificate and works with the system store, every uv call gets
# UV_SYSTEM_CERTS=1 from then on (remembered in the data dir), and the run says so once.
# A download that fails either way is the network's problem: exit 10, never "bad input".
$ExitNetwork = 10

function Use-RememberedTls([string]$Data) {
    if (-not (Test-Path -LiteralPath (Join-Path $Data 'tls-system-certs'))) { return }
    if ((Env 'UV_SYSTEM_CERTS') -or (Env 'UV_NATIVE_TLS')) { return }
    $env:UV_SYSTEM_CERTS = '1'
    Say 'TLS: uv trusts the system''s certificate store (UV_SYSTEM_CERTS=1), as an earlier run found'
}

# Run uv with ARGV, its stderr collected (one string) rather than shown; the exit code is
# returned. 'Continue' for the reason Invoke-Quietly gives.
function Invoke-UvCollect([string]$Uv, [string[]]$Argv, [ref]$Errors) {
    $ErrorActionPreference = 'Continue'
    $lines = & $Uv @Argv 2>&1 | ForEach-Object { "$_" }
    $Errors.Value = ($lines -join "`n")
    return $LASTEXITCODE
}

function Initialize-ToolEnv([string]$Uv, [string]$Repo, [string]$Data, [string[]]$Offline) {
    if (Test-Path -LiteralPath (Join-Path $Repo '.venv\pyvenv.cfg')) { return }
    $argv = @('sync', '-q', '--frozen', '--no-dev') + $Offline + @('--project', $Repo)
    $log = ''
    if ((Invoke-UvCollect $Uv $argv ([ref]$log)) -eq 0) { return }
    if ($log -match 'invalid peer certificate|UnknownIssuer|system TLS certificates') {
        if (-not (Env 'UV_SYSTEM_CERTS')) {
            $env:UV_SYSTEM_CERTS = '1'
            if ((Invoke-UvCollect $Uv $argv ([ref]$log)) -eq 0) {
                New-Item -ItemType Directory -Force -Path $Data | Out-Null
                Write-Text (Join-Path $Data 'tls-system-certs') ''
                Say 'TLS: uv''s built-in roots reject the index''s certificate and the system''s store accepts it: every uv call now uses it (UV_SYSTEM_CERTS=1)'
                return
            }
            Remove-Item Env:UV_SYSTEM_CERTS
        }
        [Console]::Error.WriteLine($log)
        Fail 'uv could not verify the index''s TLS certificate (above), not even with the system''s store' 'put your organisation''s CA in the Windows certificate store, or check the index URL (UV_INDEX_URL)' $ExitNetwork
    }
    if ($log -match 'error sending request|dns error|failed to lookup address|Connection refused|No such host') {
        [Console]::Error.WriteLine($log)
        Fail 'uv could not reach the index (above) to set up the bootstrapper''s environment' 'check the network (and HTTPS_PROXY), or run offline: install.ps1 --cache-bundle FILE' $ExitNetwork
    }
    # Another failure: `uv run` below reports it in full.
}

# ----- PATH (only when asked) ---------------------------------------------------------
# The user's PATH is HKCU\Environment\Path, usually REG_EXPAND_SZ holding %USERPROFILE%
# and the like. [Environment]::GetEnvironmentVariable expands them and SetEnvironmentVariable
# writes REG_SZ: every variable in it would be frozen to today's value. Read it raw, keep
# its type, prepend the directory once; then tell running programs (Explorer, new
# terminals) that the environment changed.
function Add-UserPath([string]$Dir) {
    $key = [Microsoft.Win32.Registry]::CurrentUser.OpenSubKey('Environment', $true)
    if ($null -eq $key) { $key = [Microsoft.Win32.Registry]::CurrentUser.CreateSubKey('Environment') }
    try {
        $raw = [string]$key.GetValue('Path', '', [Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames)
        $kind = [Microsoft.Win32.RegistryValueKind]::ExpandString
        if ($raw) { $kind = $key.GetValueKind('Path') }
        foreach ($entry in ($raw -split ';')) {
            if ([Environment]::ExpandEnvironmentVariables($entry).TrimEnd('\') -eq $Dir.TrimEnd('\')) { return $false }
        }
        $new = if ($raw) { "$Dir;$raw" } else { $Dir }
        $key.SetValue('Path', $new, $kind)
    } finally { $key.Close() }
    # SetEnvironmentVariable broadcasts WM_SETTINGCHANGE; a throwaway variable carries it.
    [Environment]::SetEnvironmentVariable('INSTALL_PS1_PATH_CHANGED', '1', 'User')
    [Environment]::SetEnvironmentVariable('INSTALL_PS1_PATH_CHANGED', [NullString]::Value, 'User')
    return $true
}

# ----- handing over -------------------------------------------------------------------
# One argument as the Windows C runtime (and Rust's std, which uv uses) splits a command
# line back: quoted when empty or holding a space, tab or '"'; '"' escaped with '\', and
# the backslashes before a '"' (or the closing quote) doubled (Microsoft's "Parsing C++
# command-line arguments"). Windows PowerShell 5.1 does neither: an empty argument
# vanishes and an embedded '"' splits the argument, so the handover builds the line itself.
function ConvertTo-WinArg([string]$Arg) {
    if ($Arg.Length -gt 0 -and $Arg -notmatch '[ \t"]') { return $Arg }
    $sb = New-Object System.Text.StringBuilder
    [void]$sb.Append('"')
    $slashes = 0
    foreach ($c in $Arg.ToCharArray()) {
        if ($c -eq [char]'\') { $slashes++; continue }
        if ($c -eq [char]'"') { [void]$sb.Append([char]'\', 2 * $slashes + 1); $slashes = 0 }
        elseif ($slashes -gt 0) { [void]$sb.Append([char]'\', $slashes); $slashes = 0 }
        [void]$sb.Append($c)
    }
    [void]$sb.Append([char]'\', 2 * $slashes)
    [void]$sb.Append('"')
    return $sb.ToString()
}

# Run EXE with ARGV, attached to this console (output streams live, Ctrl-C reaches it),
# and return its exit code.
function Invoke-Native([string]$Exe, [string[]]$Argv) {
    $psi = New-Object System.Diagnostics.ProcessStartInfo
    $psi.FileName = $Exe
    $words = @()
    foreach ($word in $Argv) { $words += ConvertTo-WinArg $word }
    $psi.Arguments = $words -join ' '
    $psi.UseShellExecute = $false
    $psi.WorkingDirectory = (Get-Location -PSProvider FileSystem).ProviderPath
    $child = [System.Diagnostics.Process]::Start($psi)
    $child.WaitForExit()
    return $child.ExitCode
}

function Show-Usage {
    @'
install.ps1: install the team's pinned uv (verified) and run `bootstrap up`.

Usage: install.ps1 [OPTIONS] ['--'] [ARGS FOR `bootstrap up`...]
       install.ps1 [OPTIONS] onboard [MANIFEST] [ARGS...]   every project of a team manifest
       install.ps1 [OPTIONS] swap restore FILE [ARGS...]    a laptop swap's new machine
  --no-run  --uv ARGS...  --bootstrap ARGS...  --cache-bundle FILE  --sources LIST  --verify
  --modify-path  --print-triple  --print-data-dir  -h, --help
Options are taken wherever they appear; everything else goes to `bootstrap up`; '--'
ends option parsing (quoted: PowerShell itself removes a bare -- before the script sees
it). --sources local,index and --sources 'local,index' are the same. (The same options
and environment variables as install.sh; see docs/install.md.)
'@ | Write-Output
}

# ----- main --------------------------------------------------------------------------
# Sets $Stage0State.Code and returns, or stops through Fail / Stop-Install; never exits.
function Invoke-Stage0([string[]]$Argv) {
    if (-not $DeadlineOk) {
        Fail "BOOTSTRAP_DOWNLOAD_DEADLINE must be a whole number of seconds above 0, not '$(Env 'BOOTSTRAP_DOWNLOAD_DEADLINE')'" 'unset it, or give a number of seconds such as 600' 2
    }
    $NoRun = $false; $UvMode = $false; $BootMode = $false; $CmdWord = ''; $Bundle = ''; $Sources = ''; $Verify = $false
    $ModifyPath = $false; $PrintTriple = $false
    # Our options are taken wherever they appear; every other argument goes on to
    # `bootstrap up`, in its order. '--' ends option parsing (the rest goes on as is);
    # `--uv` hands the rest to uv. As in install.sh.
    $all = @($Argv)
    $rest = @()
    $stray = ''
    $tail = @()
    for ($i = 0; $i -lt $all.Count; $i++) {
        $a = $all[$i]
        $tail = @(if ($i + 1 -lt $all.Count) { $all[($i + 1)..($all.Count - 1)] })
        switch -Regex ($a) {
            '^--no-run$' { $NoRun = $true; continue }
            '^--uv$' { $UvMode = $true; break }
            '^--bootstrap$' { $BootMode = $true; break }
            '^--cache-bundle$' {
                if ($i + 1 -ge $all.Count) { Fail '--cache-bundle needs a file' 'install.ps1 --cache-bundle FILE' 2 }
                $i++; $Bundle = Resolve-UserPath $all[$i]; continue
            }
            '^--cache-bundle=' { $Bundle = Resolve-UserPath $a.Substring(15); continue }
            '^--sources$' {
                if ($i + 1 -ge $all.Count) { Fail '--sources needs a list' "install.ps1 --sources 'local,index'" 2 }
                $i++; $Sources = $all[$i]; continue
            }
            '^--sources=' { $Sources = $a.Substring(10); continue }
            '^--verify$' { $Verify = $true; continue }
            '^--modify-path$' { $ModifyPath = $true; continue }
            '^--print-triple$' { $PrintTriple = $true; continue }
            '^--print-data-dir$' { Write-Output (Get-DataDir); return }
            '^(-h|--help)$' { Show-Usage; return }
            '^(onboard|swap)$' {
                # The first word may name another command than `up` (as in install.sh).
                if (-not $stray) { $CmdWord = $a; $BootMode = $true } else { $rest += $a }
                continue
            }
            '^--$' { $rest += $tail; $i = $all.Count; break }
            default { $rest += $a; if (-not $stray) { $stray = $a } }
        }
        if ($UvMode -or $BootMode) { break }
    }
    if ($BootMode) {
        if ($stray) {
            Fail "$stray comes before --bootstrap: everything after --bootstrap goes to ``bootstrap``" "put $stray after --bootstrap, or leave out --bootstrap"
        }
        # `onboard MANIFEST` / `swap restore FILE`: that command and what follows it.
        $rest = $(if ($CmdWord) { @($CmdWord) + $tail } else { $tail })
    }
    if ($UvMode) {
        if ($stray) {
            Fail "$stray comes before --uv: everything after --uv goes to uv, nothing before it may go to ``bootstrap up``" "put $stray after --uv, or leave out --uv"
        }
        $rest = $tail
    }
    if (Env 'BOOTSTRAP_UV_VERIFY') { $Verify = $true }

    $Triple = Get-Triple
    if ($PrintTriple) { Write-Output $Triple; return }
    $Pin = Read-Pin $Triple
    $Data = Get-DataDir
    if (-not $Sources) { $Sources = Env 'BOOTSTRAP_UV_SOURCES' 'local,mirror,index,release' }

    $imported = $null
    $repo = Find-Repo
    $toolEnv = if ($repo) { Get-ToolEnvDir $repo $Data } else { '' }
    if ($Bundle -match '://') {
        # Bad input, exit 2, as `bootstrap up --cache-bundle URL` and `report send` say it.
        try { Assert-Url $Bundle } catch { Fail-Bundle 'bundle.insecure_url' "cache bundle: $($_.Exception.Message)" 'serve the bundle over https, or copy it here and pass its path' }
    }
    if ($Bundle) {
        $uvHere = Join-Path $Data "uv\$($Pin.Version)\uv.exe"
        if ($toolEnv -and (Test-ToolEnv $toolEnv $repo) -and (Test-Path -LiteralPath $uvHere)) {
            Say "the cache bundle's tools are already imported"
        } else {
            $imported = Import-Bundle $Bundle $Pin $Triple $Data $repo
            [Environment]::SetEnvironmentVariable('BOOTSTRAP_UV_LOCAL', $imported.Artifact)
            $Sources = 'local'
        }
        $Stage0State.Marks += ' bundle=' + (Get-Epoch)
    }
    $Uv = Install-Uv $Pin $Triple $Data $Sources $Verify
    Use-RememberedTls $Data
    $Stage0State.Marks += ' uv=' + (Get-Epoch)
    if ($imported -and $repo) {
        New-ToolEnv $Uv $repo $toolEnv $imported
        Remove-Item -LiteralPath $imported.Dir -Recurse -Force -ErrorAction SilentlyContinue
    }
    if ($ModifyPath) {
        # The user's PATH in HKCU only (no admin); never without --modify-path.
        $dir = Split-Path -Parent $Uv
        if (Add-UserPath $dir) { Say "added $dir to your user PATH (open a new terminal)" }
    }

    $env:BOOTSTRAP_STAGE0_START = $Stage0Start
    $env:BOOTSTRAP_STAGE0_MARKS = $Stage0State.Marks
    $env:BOOTSTRAP_UV = $Uv
    if ($UvMode) { $Stage0State.Code = Invoke-Native $Uv $rest; return }
    if ($NoRun) { Say "uv $($Pin.Version) is ready: $Uv"; return }
    $offline = @()
    if ($Bundle) {
        # `up` imports the rest of the bundle; for `onboard` and `swap` it brought this tool.
        if (-not $BootMode) { $rest = @('--cache-bundle', $Bundle) + $rest }
        $offline = @('--offline')
    }
    # No Python on Windows is needed: `uv run` finds one or installs a uv-managed CPython
    # (no admin, no PATH change). The bootstrapper decides, not this script, whether the
    # environment lives here or in WSL2 (docs/wsl2.md): it owns the blockers and their
    # fixes, the choice of distro and variant, and the report on this side.
    if ($repo -and (Test-ToolEnv $toolEnv $repo)) {
        # A bundle set this environment up: use it, online or not.
        $Stage0State.Code = Invoke-Native (Join-Path $toolEnv 'Scripts\python.exe') (@('-m', 'bootstrap') + $(if ($BootMode) { @() } else { @('up') }) + $rest)
    } elseif ($repo) {
        Initialize-ToolEnv $Uv $repo $Data $offline
        $Stage0State.Code = Invoke-Native $Uv (@('run', '--frozen', '--no-dev') + $offline + @('--project', $repo, 'bootstrap') + $(if ($BootMode) { @() } else { @('up') }) + $rest)
    } elseif ($Pin.SelfSha -and $Pin.SelfFile -like '*.whl' -and -not (Env 'BOOTSTRAP_SELF_URL')) {
        # A team's repository (this script committed there by `bootstrap init`), or piped:
        # the pinned wheel in its own environment; `up` for the project this script is in.
        $self = Get-Self $Data $Pin
        $toolEnv = New-SelfEnv $Uv $Data $Pin $self $imported
        if ($imported) { Remove-Item -LiteralPath $imported.Dir -Recurse -Force -ErrorAction SilentlyContinue }
        if (-not (Env 'BOOTSTRAP_UV_PIN_FILE')) {
            $pinFile = Join-Path $Data "self\$($Pin.SelfSha)\pin.txt"
            Write-Text $pinFile $PinData
            $env:BOOTSTRAP_UV_PIN_FILE = $pinFile
        }
        $cmd = @('-m', 'bootstrap') + $(if ($BootMode) { @() } else { @('up') })
        if (-not $BootMode -and $PSScriptRoot -and (Test-Path (Join-Path $PSScriptRoot 'pyproject.toml')) -and -not ($rest -contains '--project')) {
            $rest = @('--project', $PSScriptRoot) + $rest
        }
        $Stage0State.Code = Invoke-Native (Join-Path $toolEnv 'Scripts\python.exe') ($cmd + $rest)
    } else {
        $self = Get-Self $Data $Pin
        $Stage0State.Code = Invoke-Native $Uv (@('tool', 'run') + $offline + @('--from', $self, 'bootstrap') + $(if ($BootMode) { @() } else { @('up') }) + $rest)
    }
}

# The arguments as the user typed them. PowerShell hands over an unquoted `a,b` as one
# array argument (so `--sources local,index` arrived as "local index"): each array is
# joined back with the commas it was typed with; everything else becomes a string.
$Stage0Argv = New-Object System.Collections.Generic.List[string]
foreach ($arg in $args) {
    if ($arg -is [System.Array]) { $Stage0Argv.Add(($arg -join ',')) } else { $Stage0Argv.Add([string]$arg) }
}

# ----- the one exit ------------------------------------------------------------------
# Run from a file (`powershell -File install.ps1`, `.\install.ps1`), `exit` ends the
# script and its code is the process's or the caller's $LASTEXITCODE. Run as a scriptblock
# (`& ([scriptblock]::Create((irm ...)))`), `exit` would end the user's PowerShell
# session, closing the window and the error message with it: the code is left in
# $LASTEXITCODE instead.
try {
    Invoke-Stage0 -Argv $Stage0Argv.ToArray()
} catch {
    $Stage0State.Code = Get-StopCode $_
    if ($null -eq $Stage0State.Code) {
        [Console]::Error.WriteLine("install.ps1: error: $($_.Exception.Message)")
        $Stage0State.Code = 1
    }
}
if ($RunFromFile) { exit $Stage0State.Code }
$global:LASTEXITCODE = $Stage0State.Code
