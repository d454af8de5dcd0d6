<?php
// php-pens as a PENS target (PENSServer): the entry point the collect is sent to.
//
// PENSServer answers the collect, then POSTs the same request back to this URL with
// process=1 and downloads, receipts and processes the package in that second request
// ("fake multithreading"); the built-in server needs PHP_CLI_SERVER_WORKERS for it.
// The handler below is ours: it stands for an LMS's importer and sends one alert per
// imported package, as CMI010 §5.1 allows.
require_once __DIR__ . '/../bootstrap.php';

class InteropPackageHandler extends PENSPackageHandler
{
    public function processPackage($request, $path_to_package)
    {
        // What an importer finds first: whether the download is a zip at all.
        $magic = @file_get_contents($path_to_package, false, null, 0, 4);
        $alert = $magic === "PK\x03\x04"
            ? new PENSResponse(0, 'package imported')
            : new PENSResponse(1432, 'the package is not a zip archive');
        PENSServer::singleton()->sendAlert($request, $alert);
    }
}

$server = PENSServer::singleton();
$server->setPackageHandler(new InteropPackageHandler());
$server->receiveCollect();
