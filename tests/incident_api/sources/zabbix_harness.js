// Runs a Zabbix webhook script the way Zabbix does (as a function body given `value`), with
// Zabbix's HttpRequest and Zabbix.log provided on top of curl. Usage:
//   node zabbix_harness.js <script.js> <parameters as JSON>
'use strict';
const fs = require('fs');
const { execFileSync } = require('child_process');

function HttpRequest() {
    this.headers = [];
    this.status = 0;
}
HttpRequest.prototype.addHeader = function (header) { this.headers.push(header); };
HttpRequest.prototype.setProxy = function () {};
HttpRequest.prototype.post = function (url, data) {
    const args = ['--silent', '--request', 'POST', '--data-binary', '@-', '--write-out', '\n%{http_code}'];
    this.headers.forEach(function (header) { args.push('--header', header); });
    args.push(url);
    const out = execFileSync('curl', args, { input: data }).toString();
    const cut = out.lastIndexOf('\n');
    this.status = parseInt(out.slice(cut + 1), 10);
    return out.slice(0, cut);
};
HttpRequest.prototype.getStatus = function () { return this.status; };

const Zabbix = { log: function (level, message) { process.stderr.write(level + ' ' + message + '\n'); } };
const script = fs.readFileSync(process.argv[2], 'utf8');
try {
    const result = new Function('value', 'HttpRequest', 'Zabbix', script)(process.argv[3], HttpRequest, Zabbix);
    process.stdout.write(String(result));
} catch (error) {
    process.stdout.write('THROWN: ' + error);
    process.exit(1);
}
