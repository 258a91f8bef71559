# Stage 0 of the workstation bootstrapper on Windows (PowerShell 5.1 and 7, x64 and arm64).
# The same contract as install.sh: find or install the pinned uv (SHA-256 always checked
# against the pin below), then hand over to `uv run --frozen --project <repo> bootstrap up`.
#
#   .\install.ps1 [OPTIONS] [-- ARGS FOR `bootstrap up`]
#   & ([scriptblock]::Create((irm https://<host>/install.ps1))) [OPTIONS] [ARGS]
#
# Options and environment variables are install.sh's (see docs/install.md). No admin
# rights, no PATH edits unless --modify-path.

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 2.0

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
$Stage0Marks = 'begin=' + $Stage0Now.ToString([Globalization.CultureInfo]::InvariantCulture)
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

function Fail([string]$Message, [string]$Fix = '') {
    [Console]::Error.WriteLine("install.ps1: error: $Message")
    if ($Fix) { [Console]::Error.WriteLine("  fix: $Fix") }
    exit 1
}

function Say([string]$Message) { [Console]::Error.WriteLine("install.ps1: $Message") }

function Env([string]$Name, [string]$Default = '') {
    $v = [Environment]::GetEnvironmentVariable($Name)
    if ([string]::IsNullOrEmpty($v)) { return $Default } else { return $v }
}

# ----- where things live (must match bootstrap.paths.Paths) ---------------------------
function Get-DataDir {
    $home_ = Env 'BOOTSTRAP_HOME'
    if ($home_) { return (Join-Path $home_ 'data') }
    return (Join-Path ([Environment]::GetFolderPath('LocalApplicationData')) 'bootstrap')
}

# ----- platform ----------------------------------------------------------------------
function Get-Triple {
    $forced = Env 'BOOTSTRAP_UV_TRIPLE'
    if ($forced) { return $forced }
    $arch = ''
    try {
        $arch = [string][System.Runtime.InteropServices.RuntimeInformation]::OSArchitecture
    } catch { $arch = '' }
    if (-not $arch) {
        # A 32-bit or emulated process: the OS's own architecture is in ARCHITEW6432.
        $arch = Env 'PROCESSOR_ARCHITEW6432' (Env 'PROCESSOR_ARCHITECTURE')
    }
    switch -Regex ($arch) {
        '^(X64|AMD64)$' { return 'x86_64-pc-windows-msvc' }
        '^(Arm64|ARM64)$' { return 'aarch64-pc-windows-msvc' }
        default { Fail "unsupported CPU architecture '$arch' (uv is pinned for x64 and arm64)" }
    }
}

# ----- the pin -----------------------------------------------------------------------
function Read-Pin([string]$Triple) {
    $text = $PinData
    $file = Env 'BOOTSTRAP_UV_PIN_FILE'
    if ($file) { $text = [IO.File]::ReadAllText($file) }
    $pin = @{ Version = ''; WheelFile = ''; WheelSha = ''; ArchiveFile = ''; ArchiveSha = ''; SelfFile = ''; SelfSha = '' }
    foreach ($line in ($text -split "`n")) {
        $w = ($line -replace '#.*$', '').Trim() -split '\s+'
        if ($w[0] -eq 'version') { $pin.Version = $w[1] }
        elseif ($w[0] -eq 'wheel' -and $w[1] -eq $Triple) { $pin.WheelFile = $w[2]; $pin.WheelSha = $w[3] }
        elseif ($w[0] -eq 'archive' -and $w[1] -eq $Triple) { $pin.ArchiveFile = $w[2]; $pin.ArchiveSha = $w[3] }
        elseif ($w[0] -eq 'self') { $pin.SelfFile = $w[2]; $pin.SelfSha = $w[3] }
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
if (-not [int]::TryParse((Env 'BOOTSTRAP_DOWNLOAD_DEADLINE' '600'), [ref]$DownloadDeadline) -or $DownloadDeadline -le 0) {
    [Console]::Error.WriteLine("install.ps1: error: BOOTSTRAP_DOWNLOAD_DEADLINE must be a whole number of seconds above 0, not '$(Env 'BOOTSTRAP_DOWNLOAD_DEADLINE')'")
    exit 2
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
    foreach ($m in [regex]::Matches([IO.File]::ReadAllText($html), 'href\s*=\s*["'']([^"'']+)["'']')) {
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
    $ver = & (Join-Path $stage 'uv.exe') --version 2>$null
    if (-not ("$ver" -like "uv $($Pin.Version)*")) { throw "the uv inside $(Split-Path -Leaf $File) reports '$ver', not uv $($Pin.Version)" }
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
        if (Test-Path -LiteralPath $to) { [IO.File]::Replace($from, $to, [NullString]::Value) }
        else { [IO.File]::Move($from, $to) }  # same volume: a rename
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
                        $p = Env 'BOOTSTRAP_UV_LOCAL'
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
                    default { Fail "unknown uv source '$source'" 'use a comma-separated list of local, mirror, index, release' }
                }
                if (-not $from) { continue }
                Say "installed uv $($Pin.Version) into $dir (from $from)"
                return (Join-Path $dir 'uv.exe')
            } catch {
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
    [Console]::Error.WriteLine("install.ps1: error: $Message [$Code]")
    [Console]::Error.WriteLine("  fix: $Fix")
    exit 2
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
    return ((Test-Path -LiteralPath $ok) -and ((Get-Content -Raw -LiteralPath $ok).Trim() -eq $Repo))
}

function Import-Bundle([string]$Bundle, $Pin, [string]$Triple, [string]$Data, [string]$Repo) {
    if (-not (Test-Path -LiteralPath $Bundle -PathType Leaf)) { Fail-Bundle 'bundle.missing' "cache bundle $Bundle does not exist" 'pass the path of a bundle made by: bootstrap cache pack' }
    if (-not $Repo) { Fail-Bundle 'bundle.no_repo' '--cache-bundle needs a checkout of the repository (its uv.lock vouches for the bundle)' 'run .\install.ps1 from the repository' }
    $wheelhouse = Join-Path $Data 'wheels'
    New-Item -ItemType Directory -Force -Path (Join-Path $wheelhouse '.tmp') | Out-Null
    Clear-StaleStaging $wheelhouse
    $work = Join-Path $wheelhouse ".tmp\$PID-stage0"
    Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue
    $dir = Join-Path $work 'b'
    New-Item -ItemType Directory -Force -Path $dir | Out-Null
    # An uncompressed tar only (ustar magic at offset 257): tar would inflate a gzip.
    $fs = [IO.File]::OpenRead($Bundle)
    try { $head = New-Object byte[] 262; $n = $fs.Read($head, 0, 262) } finally { $fs.Close() }
    if ($n -lt 262 -or [Text.Encoding]::ASCII.GetString($head, 257, 5) -ne 'ustar') { Fail-Bundle 'bundle.not_tar' "$Bundle is not a cache bundle (expected an uncompressed tar, format 2)" }
    $size = (Get-Item -LiteralPath $Bundle).Length
    $cap = [int64](Env 'BOOTSTRAP_BUNDLE_MAX_BYTES' '34359738368')
    if ($size -gt $cap) { Fail-Bundle 'bundle.too_large' "$Bundle is $size bytes, more than the cap (BOOTSTRAP_BUNDLE_MAX_BYTES)" 'raise BOOTSTRAP_BUNDLE_MAX_BYTES if a bundle this large is expected' }
    $long = @(& tar -tvf $Bundle)
    if ($LASTEXITCODE -ne 0) { Fail-Bundle 'bundle.not_tar' "$Bundle is not a readable tar" }
    # The members of an uncompressed tar fit in it, unless one is sparse: Windows' tar
    # (bsdtar) lists "mode links uid gid size ...".
    $sum = [int64]0
    foreach ($l in $long) { $f = -split $l; if ($f.Count -gt 4) { $sum += [int64]$f[4] } }
    if ($sum -gt $size) { Fail-Bundle 'bundle.unsafe_member' "${Bundle}: its members unpack to $sum bytes, more than the file's $size (a sparse member); a bundle holds only regular files" }
    foreach ($l in $long) { if (-not $l.StartsWith('-')) { Fail-Bundle 'bundle.unsafe_member' "${Bundle}: member '$l' is not a regular file; a bundle holds only regular files" } }
    $names = @(& tar -tf $Bundle)
    $seen = @{}
    foreach ($m in $names) {
        if ($seen.ContainsKey($m)) { Fail-Bundle 'bundle.duplicate' "${Bundle}: member '$m' appears twice" }
        $seen[$m] = $true
        if ($m -eq 'manifest.json' -or $m -eq 'SHA256SUMS') { continue }
        if ((($m -notmatch '^(uv|wheels)/[A-Za-z0-9_][A-Za-z0-9._+-]*$') -and ($m -notmatch '^python/[A-Za-z0-9_][A-Za-z0-9._+-]*$')) -or $m.Contains('..')) {
            Fail-Bundle 'bundle.unsafe_path' "${Bundle}: unexpected member '$m' (absolute, '..', or not manifest.json, SHA256SUMS, uv/<file>, wheels/<file>, python/<file>)"
        }
    }
    & tar -xf $Bundle -C $dir
    if ($LASTEXITCODE -ne 0) { Fail-Bundle 'bundle.truncated' "cannot unpack $Bundle (truncated or corrupt)" }
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
    $manifest = Get-Content -Raw -LiteralPath (Join-Path $dir 'manifest.json') | ConvertFrom-Json
    if ($manifest.format -ne 2) { Fail-Bundle 'bundle.format' "${Bundle}: bundle format $($manifest.format), this checkout reads format 2 only" 'pack the bundle again with this checkout: bootstrap cache pack' }
    if ($manifest.uv_version -ne $Pin.Version) { Fail-Bundle 'bundle.uv_version' "$Bundle carries uv $($manifest.uv_version), but the pin is uv $($Pin.Version)" 'make a bundle with this checkout''s pin: bootstrap cache pack' }
    $arch = if ($Triple -like 'x86_64-*') { 'x86_64' } else { 'arm64' }
    if (-not ("$($manifest.target)" -like "windows-$arch-*")) { Fail-Bundle 'bundle.wrong_target' "$Bundle is for $($manifest.target), this machine is windows-$arch" "use the bundle made for windows-$arch" }
    if ("$($manifest.uv_artifact)" -notmatch '^uv/[^/]+$') { Fail-Bundle 'bundle.manifest' "${Bundle}: manifest uv_artifact '$($manifest.uv_artifact)' is not under uv/" }
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
    foreach ($w in $ours) { Move-Item -Force -LiteralPath $w.FullName -Destination (Join-Path $wheelhouse $w.Name) }
    $py = Import-BundlePython $Bundle $dir $Triple $Data $Repo
    return @{ Dir = $work; Artifact = (Join-Path $dir $manifest.uv_artifact); Wheelhouse = $wheelhouse
              Pythons = @($manifest.pythons); Profile = "$($manifest.profile)"; Target = "$($manifest.target)"
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
        Move-Item -Force -LiteralPath $f.FullName -Destination (Join-Path $dest $pin.File)
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
    Set-Content -LiteralPath $list -Value ($body | ConvertTo-Json -Depth 4) -Encoding UTF8
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
        & $Uv -q python uninstall $Py.Version 2>$null | Out-Null
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
            & $Uv venv -q --offline --no-python-downloads --allow-existing --python $py $ToolEnv 2>$null
            if ($LASTEXITCODE -eq 0) { $made = $py; break }
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
    & $Uv pip sync -q --offline --no-index --require-hashes --find-links $Imported.Wheelhouse --python $python $req
    if ($LASTEXITCODE -ne 0) { Fail-Bundle 'bundle.tool_missing' 'the bundle lacks wheels the bootstrapper needs (above)' 'pack the bundle again with this checkout: bootstrap cache pack' }
    # The bootstrapper runs from this checkout's source: nothing is built.
    Set-Content -LiteralPath (Join-Path $ToolEnv 'Lib\site-packages\bootstrap-checkout.pth') -Value $Repo
    Set-Content -LiteralPath (Join-Path $ToolEnv '.ok') -Value $Repo
}

# ----- the bootstrapper itself, when piped -------------------------------------------
function Find-Repo {
    $forced = Env 'BOOTSTRAP_REPO'
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
        Fail 'not run from a checkout, and no pinned bootstrapper to fetch' 'run .\install.ps1 from the repository, or set BOOTSTRAP_SELF_URL (wheel) and BOOTSTRAP_SELF_SHA256'
    }
    $dir = Join-Path $Data "self\$sha"
    New-Item -ItemType Directory -Force -Path $dir | Out-Null
    if (-not $url) {
        $cached = Join-Path $dir $Pin.SelfFile
        if (Test-Path -LiteralPath $cached) { return $cached }
        $index = Env 'BOOTSTRAP_SELF_INDEX_URL' (Env 'BOOTSTRAP_UV_INDEX_URL' (Env 'UV_INDEX_URL' (Env 'PIP_INDEX_URL' 'https://pypi.org/simple')))
        $url = Find-OnIndex $index ($Pin.SelfFile.Split('-')[0]) $Pin.SelfFile $dir
    }
    $file = Join-Path $dir ($url.Split('/')[-1])
    if (Test-Path -LiteralPath $file) { return $file }
    $tmp = "$file.part"
    Invoke-Fetch $url $tmp | Out-Null
    $got = Get-Sha256 $tmp
    if ($got -ne $sha) { Remove-Item -LiteralPath $tmp; Fail "the bootstrapper does not match its pinned checksum: pinned $sha, got $got" 'check BOOTSTRAP_SELF_URL and BOOTSTRAP_SELF_SHA256' }
    Move-Item -LiteralPath $tmp -Destination $file
    return $file
}

function Show-Usage {
    @'
install.ps1: install the team's pinned uv (verified) and run `bootstrap up`.

Usage: install.ps1 [OPTIONS] [--] [ARGS FOR `bootstrap up`...]
  --no-run  --uv ARGS...  --cache-bundle FILE  --sources LIST  --verify
  --modify-path  --print-triple  --print-data-dir  -h, --help
Options are taken wherever they appear; everything else goes to `bootstrap up`; `--`
ends option parsing. (The same options and environment variables as install.sh; see
docs/install.md.)
'@ | Write-Output
}

# ----- main --------------------------------------------------------------------------
$NoRun = $false; $UvMode = $false; $Bundle = ''; $Sources = ''; $Verify = $false
$ModifyPath = $false; $PrintTriple = $false
# Our options are taken wherever they appear; every other argument goes on to
# `bootstrap up`, in its order. `--` ends option parsing (the rest goes on as is);
# `--uv` hands the rest to uv. As in install.sh.
$all = @($args)
$rest = @()
$stray = ''
for ($i = 0; $i -lt $all.Count; $i++) {
    $a = [string]$all[$i]
    $tail = @(if ($i + 1 -lt $all.Count) { $all[($i + 1)..($all.Count - 1)] })
    switch -Regex ($a) {
        '^--no-run$' { $NoRun = $true; continue }
        '^--uv$' { $UvMode = $true; break }
        '^--cache-bundle$' {
            if ($i + 1 -ge $all.Count) { Fail '--cache-bundle needs a file' 'install.ps1 --cache-bundle FILE' }
            $i++; $Bundle = [string]$all[$i]; continue
        }
        '^--cache-bundle=' { $Bundle = $a.Substring(15); continue }
        '^--sources$' {
            if ($i + 1 -ge $all.Count) { Fail '--sources needs a list' 'install.ps1 --sources local,index' }
            $i++; $Sources = [string]$all[$i]; continue
        }
        '^--sources=' { $Sources = $a.Substring(10); continue }
        '^--verify$' { $Verify = $true; continue }
        '^--modify-path$' { $ModifyPath = $true; continue }
        '^--print-triple$' { $PrintTriple = $true; continue }
        '^--print-data-dir$' { Write-Output (Get-DataDir); exit 0 }
        '^(-h|--help)$' { Show-Usage; exit 0 }
        '^--$' { $rest += $tail; $i = $all.Count; break }
        default { $rest += $a; if (-not $stray) { $stray = $a } }
    }
    if ($UvMode) { break }
}
if ($UvMode) {
    if ($stray) {
        Fail "$stray comes before --uv: everything after --uv goes to uv, nothing before it may go to ``bootstrap up``" "put $stray after --uv, or leave out --uv"
    }
    $rest = $tail
}
if (Env 'BOOTSTRAP_UV_VERIFY') { $Verify = $true }

$Triple = Get-Triple
if ($PrintTriple) { Write-Output $Triple; exit 0 }
$Pin = Read-Pin $Triple
$Data = Get-DataDir
if (-not $Sources) { $Sources = Env 'BOOTSTRAP_UV_SOURCES' 'local,mirror,index,release' }

$imported = $null
$repo = Find-Repo
$toolEnv = if ($repo) { Get-ToolEnvDir $repo $Data } else { '' }
if ($Bundle) {
    $uvHere = Join-Path $Data "uv\$($Pin.Version)\uv.exe"
    if ($toolEnv -and (Test-ToolEnv $toolEnv $repo) -and (Test-Path -LiteralPath $uvHere)) {
        Say "the cache bundle's tools are already imported"
    } else {
        $imported = Import-Bundle $Bundle $Pin $Triple $Data $repo
        [Environment]::SetEnvironmentVariable('BOOTSTRAP_UV_LOCAL', $imported.Artifact)
        $Sources = 'local'
    }
    $Stage0Marks += ' bundle=' + (Get-Epoch)
}
$Uv = Install-Uv $Pin $Triple $Data $Sources $Verify
$Stage0Marks += ' uv=' + (Get-Epoch)
if ($imported) {
    New-ToolEnv $Uv $repo $toolEnv $imported
    Remove-Item -LiteralPath $imported.Dir -Recurse -Force -ErrorAction SilentlyContinue
}
if ($ModifyPath) {
    # The user's PATH in HKCU only (no admin); never without --modify-path.
    $dir = Split-Path -Parent $Uv
    $userPath = [Environment]::GetEnvironmentVariable('Path', 'User')
    if (-not (($userPath -split ';') -contains $dir)) {
        [Environment]::SetEnvironmentVariable('Path', "$dir;$userPath", 'User')
        Say "added $dir to your user PATH (open a new terminal)"
    }
}

$env:BOOTSTRAP_STAGE0_START = $Stage0Start
$env:BOOTSTRAP_STAGE0_MARKS = $Stage0Marks
$env:BOOTSTRAP_UV = $Uv
if ($UvMode) { & $Uv @rest; exit $LASTEXITCODE }
if ($NoRun) { Say "uv $($Pin.Version) is ready: $Uv"; exit 0 }
$offline = @()
if ($Bundle) { $rest = @('--cache-bundle', $Bundle) + $rest; $offline = @('--offline') }
# No Python on Windows is needed: `uv run` finds one or installs a uv-managed CPython
# (no admin, no PATH change). The bootstrapper decides, not this script, whether the
# environment lives here or in WSL2 (docs/wsl2.md): it owns the blockers and their fixes,
# the choice of distro and variant, and the report on this side.
if ($repo -and (Test-ToolEnv $toolEnv $repo)) {
    # A bundle set this environment up: use it, online or not.
    & (Join-Path $toolEnv 'Scripts\python.exe') -m bootstrap up @rest
} elseif ($repo) {
    & $Uv run --frozen --no-dev @offline --project $repo bootstrap up @rest
} else {
    $self = Get-Self $Data $Pin
    & $Uv tool run @offline --from $self bootstrap up @rest
}
exit $LASTEXITCODE
